import type { Metadata } from "next";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { getServices } from "@/server/services";
import { AuthForm } from "../auth-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Duo" };

export default async function SignInPage() {
  if (await getServerSession(getServices().authOptions)) redirect("/");
  return <AuthForm mode="sign-in" />;
}
