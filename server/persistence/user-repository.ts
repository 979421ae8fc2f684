import type { Db } from "./database";

export interface StoredUser {
  id: string;
  handle: string;
  displayName: string;
  passwordHash: string;
}

export class UserRepository {
  constructor(private readonly db: Db) {}

  /** Creates a user; returns null when the (case-insensitive) name is taken. */
  async create(displayName: string, passwordHash: string): Promise<StoredUser | null> {
    try {
      return await this.db.user.create({
        data: { handle: displayName.toLowerCase(), displayName, passwordHash },
        select: { id: true, handle: true, displayName: true, passwordHash: true },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  findByName(name: string): Promise<StoredUser | null> {
    return this.db.user.findUnique({
      where: { handle: name.toLowerCase() },
      select: { id: true, handle: true, displayName: true, passwordHash: true },
    });
  }
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
