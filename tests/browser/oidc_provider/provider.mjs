// A real OpenID provider (panva/oidc-provider) on loopback for the web's sign-in tests.
//
// env: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
//      ACCOUNTS  JSON {"<login>": {"email": "...", "email_verified": true}},
//      ROGUE_FILE  while this file exists, ID tokens are re-signed (with the provider's own
//                  key) for the audience written in it instead of the client's: a relying
//                  party must refuse them.
// Prints "ready <issuer>" once it listens. Sign-in uses the provider's built-in development
// login and consent pages (any password).
import { existsSync, readFileSync } from "node:fs";
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from "jose";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || "{}");
const rogueFile = process.env.ROGUE_FILE || "";

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  conformIdTokenClaims: false, // the email claims ride in the ID token, as Google's do
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});
provider.proxy = false;

if (rogueFile) {
  const key = await importJWK(signingJwk, "RS256");
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === "/token" && ctx.body && ctx.body.id_token && existsSync(rogueFile)) {
      const rogueAudience = readFileSync(rogueFile, "utf8").trim();
      // azp keeps naming the real client, so only the audience check can catch it.
      const original = decodeJwt(ctx.body.id_token);
      const claims = { ...original, aud: rogueAudience, azp: original.aud };
      const header = decodeProtectedHeader(ctx.body.id_token);
      ctx.body = {
        ...ctx.body,
        id_token: await new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid }).sign(key),
      };
    }
  });
}

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
