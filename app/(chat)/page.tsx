import type { Metadata } from "next";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { getServices } from "@/server/services";
import { ChatShell } from "./components/chat-shell";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Duo" };

export default async function ChatPage() {
  const { authOptions, sessions } = getServices();
  // Checks the session's row too (server/auth/auth-options.ts): a signed-out cookie lands on sign-in.
  const session = await getServerSession(authOptions);
  if (!session) redirect("/sign-in");
  const { idleMs, refreshMs } = sessions.lifetime;
  return <ChatShell selfName={session.user.name} keepAliveMs={Math.max(30_000, Math.min(refreshMs, idleMs / 4))} />;
}
