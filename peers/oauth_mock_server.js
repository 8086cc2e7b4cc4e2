// Starts oauth2-mock-server (an OAuth 2.0 authorization server this project did not write) on
// 127.0.0.1 on a free port and prints one JSON line: {"base_url":"http://127.0.0.1:PORT"}.
// Its endpoints sit where SePay's are: GET /oauth/authorize (redirects to redirect_uri with
// ?code&state), POST /oauth/token.
//
// oauth2-mock-server accepts any code and any refresh token. So that the tests can fail when the
// client does something SePay would refuse, its public hooks (beforeAuthorizeRedirect,
// beforeResponse) add SePay's rules:
// - a code is single-use and only valid with the redirect_uri it was issued for (else invalid_grant);
// - a refresh token is single-use: each refresh returns a new one and the old one is spent
//   (invalid_grant);
// - with OAUTH_MOCK_CLIENT_ID / OAUTH_MOCK_CLIENT_SECRET set, client_id and client_secret must be in
//   the form body and match (else invalid_client, HTTP 401); HTTP Basic is refused.
//
// Runs until stdin closes (the test that spawned it ends) or it is killed.
'use strict';

(async () => {
  const { OAuth2Server } = await import('oauth2-mock-server');
  const clientId = process.env.OAUTH_MOCK_CLIENT_ID;
  const clientSecret = process.env.OAUTH_MOCK_CLIENT_SECRET;

  const server = new OAuth2Server(undefined, undefined, {
    endpoints: { authorize: '/oauth/authorize', token: '/oauth/token' },
  });
  await server.issuer.keys.generate('RS256');

  const codes = new Map(); // code -> redirect_uri
  const refreshTokens = new Set(); // refresh tokens issued and not yet used

  server.service.on('beforeAuthorizeRedirect', (redirect, req) => {
    const code = redirect.url.searchParams.get('code');
    if (code) codes.set(code, req.query.redirect_uri);
  });

  server.service.on('beforeResponse', (response, req) => {
    const body = req.body || {};
    const refuse = (status, error) => {
      response.statusCode = status;
      response.body = { error };
    };
    if (clientId !== undefined) {
      if (req.headers.authorization) return refuse(401, 'invalid_client');
      if (body.client_id !== clientId || body.client_secret !== clientSecret) return refuse(401, 'invalid_client');
    }
    if (body.grant_type === 'authorization_code') {
      const redirectUri = codes.get(body.code);
      codes.delete(body.code);
      if (redirectUri === undefined || redirectUri !== body.redirect_uri) return refuse(400, 'invalid_grant');
    } else if (body.grant_type === 'refresh_token') {
      if (!refreshTokens.delete(body.refresh_token)) return refuse(400, 'invalid_grant');
    }
    if (response.statusCode === 200 && response.body.refresh_token) refreshTokens.add(response.body.refresh_token);
  });

  await server.start(0, '127.0.0.1');
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ base_url: `http://127.0.0.1:${port}` }) + '\n');

  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
