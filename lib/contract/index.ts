export * from "./errors";
export * from "./events";
export * from "./limits";
export * from "./schemas";
export * from "./message-rules";
