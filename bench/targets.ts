/**
 * The three systems a scenario can drive with the same generator: Duo (its real server, database and
 * signed-in users: stack.ts) and the two baselines (bench/baselines/: a raw `ws` relay and a bare
 * Socket.IO server, no auth, no storage), each its own process on 127.0.0.1.
 */
import { join } from "node:path";
import { describeSeed } from "./seed-users";
import { freePort, ServerProcess } from "./server-process";
import { startStack, type Stack, type StackOptions } from "./stack";
import { TARGET_LABEL, type Identity, type Target } from "./virtual-user";

export { TARGET_LABEL } from "./virtual-user";

export interface TargetStack {
  target: Target;
  servers: ServerProcess[];
  users: Identity[];
  /** Duo only: the full stack (config, seed report). */
  duo: Stack | null;
  /** How the users were made, for the notes. */
  authNote: string;
  stop(): Promise<void>;
}

const ENTRY: Record<Exclude<Target, "duo">, string> = {
  "ws-relay": join("bench", "baselines", "ws-relay.ts"),
  "socketio-relay": join("bench", "baselines", "socketio-relay.ts"),
};

export async function startTarget(target: Target, o: StackOptions): Promise<TargetStack> {
  if (target === "duo") {
    const stack = await startStack(o);
    return { target, servers: stack.servers, users: stack.users, duo: stack, authNote: describeSeed(stack.seed), stop: () => stack.stop() };
  }
  const server = new ServerProcess(
    await freePort(),
    { NODE_ENV: "production" },
    o.cpuProfDir ? join(o.cpuProfDir, "node0") : undefined,
    ENTRY[target],
  );
  await server.start();
  o.log(`  ${TARGET_LABEL[target]} up: ${server.url} (pid ${server.pid})`);
  const users: Identity[] = Array.from({ length: o.users }, (_, i) => ({ id: String(i), name: `u${i}`, cookie: "" }));
  return {
    target,
    servers: [server],
    users,
    duo: null,
    authNote: `${TARGET_LABEL[target]}: no auth, users connect with their number (2k paired with 2k+1).`,
    stop: async () => {
      await server.stop();
    },
  };
}
