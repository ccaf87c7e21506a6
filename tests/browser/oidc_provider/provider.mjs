// Real OpenID providers (panva/oidc-provider) on loopback for the web's sign-in tests.
//
// One process runs one issuer per entry of ISSUERS, a JSON list of
//   {"port", "client_id", "client_secret", "redirect_uri",
//    "accounts": {"<login>": {"email": "...", "email_verified": true, ...claims}},
//    "extra_claims": ["tid", "hd", "https://slack.com/team_id"],  // put in the ID token
//    "microsoft": false,  // Microsoft-shaped, see below
//    "rogue_file": "/path"}
// Without ISSUERS, one issuer from PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ACCOUNTS,
// ROGUE_FILE (the older single-provider form).
//
// rogue_file: while this file exists, ID tokens are re-signed (with the provider's own key)
//   for the audience written in it instead of the client's: a relying party must refuse them.
// microsoft: the issuer is multi-tenant as Microsoft's is: its discovery document lives at
//   <issuer>/common/v2.0/.well-known/openid-configuration and names the issuer
//   "<issuer>/{tenantid}/v2.0"; each ID token's iss is "<issuer>/<tid>/v2.0" with the
//   account's `tid` (or its `_iss_tid`, to forge a token whose issuer names another directory).
// Prints "ready <issuer>" once each listens. Sign-in uses the provider's built-in development
// login and consent pages (any password).
import { existsSync, readFileSync } from "node:fs";
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from "jose";

const MS_DISCOVERY = "/common/v2.0/.well-known/openid-configuration";

function configs() {
  if (process.env.ISSUERS) return JSON.parse(process.env.ISSUERS);
  return [{
    port: Number(process.env.PORT),
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uri: process.env.REDIRECT_URI,
    accounts: JSON.parse(process.env.ACCOUNTS || "{}"),
    rogue_file: process.env.ROGUE_FILE || "",
  }];
}

async function start(config) {
  const issuer = `http://127.0.0.1:${config.port}`;
  const accounts = config.accounts || {};
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const key = await importJWK(signingJwk, "RS256");

  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
    jwks: { keys: [signingJwk] },
    pkce: { required: () => true },
    claims: { openid: ["sub", ...(config.extra_claims || [])], email: ["email", "email_verified"] },
    conformIdTokenClaims: false, // the email claims ride in the ID token, as Google's do
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      const { _iss_tid, ...claims } = account;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  provider.proxy = false;

  provider.use(async (ctx, next) => {
    const discovery = config.microsoft && ctx.path === MS_DISCOVERY;
    if (discovery) ctx.path = "/.well-known/openid-configuration";
    await next();
    if (discovery && ctx.body) {
      ctx.body = { ...ctx.body, issuer: `${issuer}/{tenantid}/v2.0` };
    }
    if (ctx.path !== "/token" || !ctx.body || !ctx.body.id_token) return;
    const rogue = config.rogue_file && existsSync(config.rogue_file);
    if (!rogue && !config.microsoft) return;
    const original = decodeJwt(ctx.body.id_token);
    const claims = { ...original };
    if (rogue) {
      // azp keeps naming the real client, so only the audience check can catch it.
      claims.aud = readFileSync(config.rogue_file, "utf8").trim();
      claims.azp = original.aud;
    }
    if (config.microsoft) {
      const account = accounts[original.sub] || {};
      claims.iss = `${issuer}/${account._iss_tid || account.tid}/v2.0`;
    }
    const header = decodeProtectedHeader(ctx.body.id_token);
    ctx.body = {
      ...ctx.body,
      id_token: await new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid }).sign(key),
    };
  });

  await new Promise((resolve) => provider.listen(config.port, "127.0.0.1", resolve));
  console.log(`ready ${issuer}`);
}

for (const config of configs()) {
  await start(config);
}
