// Drives the official npm SDK (cms-bluebutton-sdk) against a running portal,
// as an app developer would, with one change: its base URL.
// Same protocol as python_sdk_flow.py: prints {"authorize_url"}, reads the
// callback URL from stdin, prints one JSON line of results.
const readline = require("readline");
const { BlueButton } = require("cms-bluebutton-sdk");

(async () => {
  const bb = new BlueButton({
    environment: "SANDBOX",
    clientId: process.env.BB_CLIENT_ID,
    clientSecret: process.env.BB_CLIENT_SECRET,
    callbackUrl: process.env.BB_CALLBACK,
    version: "2",
    retrySettings: { total: 0 },
  });
  // The SDK builds every URL from this property when it makes a request.
  bb.baseUrl = process.env.BB_BASE_URL;
  const authData = bb.generateAuthData();
  console.log(JSON.stringify({ authorize_url: bb.generateAuthorizeUrl(authData) }));

  const lines = readline.createInterface({ input: process.stdin });
  const callback = new URL(await new Promise((resolve) => lines.once("line", resolve)));
  lines.close();
  let token = await bb.getAuthorizationToken(
    authData,
    callback.searchParams.get("code"),
    callback.searchParams.get("state"),
    callback.searchParams.get("error"),
  );
  const results = { token: { patient: token.patient, access_token: token.accessToken, refresh_token: token.refreshToken }, calls: {} };
  const call = async (name, fetch) => {
    const outcome = await fetch(token);
    token = outcome.token;
    results.calls[name] = { status: outcome.response.status, body: outcome.response.data };
    return outcome;
  };
  await call("patient", (t) => bb.getPatientData(t));
  await call("coverage", (t) => bb.getCoverageData(t));
  const eob = await call("eob", (t) => bb.getExplanationOfBenefitData(t));
  const pages = await bb.getPages(eob.response.data, token);
  token = pages.token;
  results.eob_pages = pages.pages;
  await call("userinfo", (t) => bb.getProfileData(t));
  const refreshed = await bb.refreshAuthToken(token);
  results.refreshed = { access_token: refreshed.accessToken, refresh_token: refreshed.refreshToken };
  token = refreshed;
  await call("userinfo_after_refresh", (t) => bb.getProfileData(t));
  console.log(JSON.stringify(results));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
