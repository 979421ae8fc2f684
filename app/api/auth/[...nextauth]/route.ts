import NextAuth from "next-auth";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

type RouteHandler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

// Built per request from the services the custom server registered (see server/services.ts).
const handler: RouteHandler = (req, ctx) => (NextAuth(getServices().authOptions) as RouteHandler)(req, ctx);

export { handler as GET, handler as POST };
