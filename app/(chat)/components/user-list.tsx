"use client";

import type { UserView } from "@/lib/contract/events";

/**
 * Everyone available now. An entry's accessible name carries its unread count ("bob, 3 unread"), or
 * says a conversation is open ("bob, chatting").
 */
export function UserList(props: {
  users: UserView[];
  open: Set<string>;
  unread: Map<string, number>;
  onPick: (id: string) => void;
  ready: boolean;
}) {
  return (
    <section aria-labelledby="available-heading">
      <h2 id="available-heading">
        Available now <span className="count">{props.users.length}</span>
      </h2>
      {props.users.length === 0 ? (
        <p className="muted small">{props.ready ? "Nobody else is online right now." : "Loading…"}</p>
      ) : (
        <ul className="user-list" data-testid="available-users">
          {props.users.map((u) => {
            const unread = props.unread.get(u.id) ?? 0;
            const open = props.open.has(u.id);
            // Spelled out: the visible parts are laid out as separate boxes, which would add stray spaces.
            const label = unread > 0 ? `${u.name}, ${unread} unread` : open ? `${u.name}, chatting` : u.name;
            return (
              <li key={u.id}>
                <button type="button" onClick={() => props.onPick(u.id)} data-user={u.name} data-user-id={u.id} aria-label={label}>
                  <span className="dot" aria-hidden />
                  <span className="name">{u.name}</span>
                  {unread > 0 ? <span className="unread">{unread}</span> : open && <span className="badge">chatting</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
