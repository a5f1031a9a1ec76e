// The page at the end of a single sign-on. For the phone: tells the phone that opened the
// sign-in window, at the exact origin the service checked when the sign-in started, that its
// sign-in ended, signed in or refused (no token: the phone claims the result with the nonce only
// it holds, and shows a refusal's reason), then closes. When the identity provider's pages
// severed window.opener, the phone's own polling claims it and the page stays. For an
// administrator: moves on to the admin UI.
const done = document.getElementById("done");
if (done && done.dataset.origin) {
  if (window.opener) {
    window.opener.postMessage({ type: "framephone.agent-sso", nonceHash: done.dataset.nonceHash }, done.dataset.origin);
    window.close();
  }
} else {
  window.location.replace("/admin/");
}
