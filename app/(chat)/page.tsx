import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { getServices } from "@/server/services";
import { ChatShell } from "./components/chat-shell";

export const dynamic = "force-dynamic";

export default async function ChatPage() {
  const session = await getServerSession(getServices().authOptions);
  if (!session) redirect("/sign-in");
  return <ChatShell selfName={session.user.name} />;
}
