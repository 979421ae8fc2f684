-- CreateTable
CREATE TABLE "ReadPosition" (
    "userId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ReadPosition_pkey" PRIMARY KEY ("userId","conversationId")
);

-- CreateIndex
CREATE INDEX "ReadPosition_conversationId_idx" ON "ReadPosition"("conversationId");

-- AddForeignKey
ALTER TABLE "ReadPosition" ADD CONSTRAINT "ReadPosition_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReadPosition" ADD CONSTRAINT "ReadPosition_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

