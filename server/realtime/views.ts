/** Domain values as the contract shows them to a client: only the fields the contract names. */
import type { DialogView, UserView } from "../../lib/contract/events";
import type { DialogSummary } from "../core/node-ports";
import type { UserProfile } from "../core/types";

export const userView = (p: UserProfile): UserView => ({ id: p.id, name: p.name });

export const dialogView = (d: DialogSummary): DialogView => ({ id: d.id, peer: userView(d.peer) });
