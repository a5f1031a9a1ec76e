// The OAuth redirect page of the ServiceNow instance: hands the instance's answer (the
// authorization code, or its refusal) to the phone that opened this window, at this page's own
// origin only, and closes. The code leaves the address bar and the history at once; it is
// worthless without the verifier, which only the phone holds.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var message = {
    type: "framephone-oauth",
    code: params.get("code"),
    state: params.get("state"),
    error: params.get("error"),
  };
  window.history.replaceState(null, "", window.location.pathname);
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage(message, window.location.origin);
    window.close();
  } else {
    document.getElementById("status").textContent =
      "The phone that asked for this has gone: close this window and choose Authorise in the phone.";
  }
})();
