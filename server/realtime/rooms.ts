/** Room names. Every socket of a user is in the user's room; every socket of both members is in the dialog's. */
export const userRoom = (userId: string) => `user:${userId}`;
export const dialogRoom = (dialogId: string) => `dialog:${dialogId}`;
