/** Sign-up and sign-in checks, on top of the user repository and the password hash. */
import { credentialsInput, type CredentialsInput } from "../../lib/contract/schemas";
import type { UserProfile } from "../core/types";
import type { UserRepository } from "../persistence/user-repository";
import { hashPassword, verifyPassword } from "./password";

export type FieldIssues = { field: string; message: string }[];

export type RegisterResult =
  { ok: true; user: UserProfile } | { ok: false; error: "invalid"; issues: FieldIssues } | { ok: false; error: "taken" };

/** Sign-up input checked against the rules, with one readable issue per broken rule. */
export function checkCredentials(input: unknown): { ok: true; value: CredentialsInput } | { ok: false; issues: FieldIssues } {
  const parsed = credentialsInput.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? ""), message: i.message })) };
}

export class Accounts {
  /** Verified against when the user does not exist, so unknown names take as long as wrong passwords. */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly users: UserRepository) {}

  async register(input: unknown): Promise<RegisterResult> {
    const checked = checkCredentials(input);
    if (!checked.ok) return { ok: false, error: "invalid", issues: checked.issues };
    const { username, password } = checked.value;
    if (await this.users.findByName(username)) return { ok: false, error: "taken" };
    const created = await this.users.create(username, await hashPassword(password));
    if (!created) return { ok: false, error: "taken" };
    return { ok: true, user: { id: created.id, name: created.displayName } };
  }

  /** The user if the credentials are right, else null (never says which part was wrong). */
  async verify(input: unknown): Promise<UserProfile | null> {
    const parsed = credentialsInput.safeParse(input);
    if (!parsed.success) return null;
    const user = await this.users.findByName(parsed.data.username);
    if (!user) {
      this.dummyHash ??= hashPassword("not-a-real-password");
      await verifyPassword(await this.dummyHash, parsed.data.password);
      return null;
    }
    return (await verifyPassword(user.passwordHash, parsed.data.password)) ? { id: user.id, name: user.displayName } : null;
  }
}
