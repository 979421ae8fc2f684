-- CreateTable
CREATE TABLE "ReadPosition" (
    "userId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("userId", "conversationId"),
    CONSTRAINT "ReadPosition_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReadPosition_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ReadPosition_conversationId_idx" ON "ReadPosition"("conversationId");

