/**
 * The bridge from Next's route handlers to the process's services. Next bundles app/ separately
 * from the custom server, so module state is not shared; a global slot is. The server registers
 * once at start; route handlers read at request time (never at build time).
 */
import type { AuthOptions } from "next-auth";
import type { Accounts } from "./auth/accounts";
import type { SignUpLimiter } from "./auth/sign-in-limiter";
import type { SessionRepository } from "./persistence/session-repository";

export interface AppServices {
  authOptions: AuthOptions;
  accounts: Accounts;
  signUpLimiter: SignUpLimiter;
  sessions: SessionRepository;
}

const SLOT = Symbol.for("duo-messenger.services");
type Slot = { [SLOT]?: AppServices };

export function registerServices(services: AppServices): void {
  (globalThis as Slot)[SLOT] = services;
}

export function getServices(): AppServices {
  const services = (globalThis as Slot)[SLOT];
  if (!services) throw new Error("Services are not registered: start the app with `npm start` (dist/server/index.js), not `next start`.");
  return services;
}
