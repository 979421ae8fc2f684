/** @type {import('next').NextConfig} */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tests and bench included) with tsc; the page build
  // need not do it again, and must not fail on files outside the app.
  typescript: { ignoreBuildErrors: true },
  // The custom server (server/index.ts) owns Prisma, argon2 and Socket.IO; route handlers reach them
  // through server/services.ts at request time, so none of these native packages is bundled.
  serverExternalPackages: ["@prisma/client", "better-sqlite3", "@node-rs/argon2", "pg", "pino"],
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
