"use client";

import type { UserView } from "@/lib/contract/events";

export function UserList(props: { users: UserView[]; withDialog: Set<string>; onPick(id: string): void; ready: boolean }) {
  return (
    <section aria-labelledby="available-heading">
      <h2 id="available-heading">
        Available now <span className="count">{props.users.length}</span>
      </h2>
      {props.users.length === 0 ? (
        <p className="muted small">{props.ready ? "Nobody else is online right now." : "Loading…"}</p>
      ) : (
        <ul className="user-list" data-testid="available-users">
          {props.users.map((u) => (
            <li key={u.id}>
              <button type="button" onClick={() => props.onPick(u.id)} data-user={u.name} title={`Chat with ${u.name}`}>
                <span className="dot" aria-hidden />
                <span className="name">{u.name}</span>
                {props.withDialog.has(u.id) && <span className="badge">chatting</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
