// The popup's last page after a sign-in at a CRM: tells the admin page that opened it how it
// ended (at the page's own origin only), then closes. Without an opener (the CRM's page cut the
// link), the page's text says to close it.
const outcome = document.body.dataset.outcome;
if (window.opener) {
  window.opener.postMessage({ type: "framephone-sign-in", outcome }, location.origin);
  window.close();
}
