// The agent's sign-in window, opened by the phone's Authorise: signs in at this service (same
// origin, no cookie), then posts the bearer token to the phone that opened it, at the exact
// origin the service checked before it served this page, and closes.
const form = document.getElementById("sign-in");
const problem = document.getElementById("problem");
const button = form.querySelector("button");

function say(text) {
  problem.textContent = text;
  problem.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.hidden = true;
  if (!window.opener) {
    say("This window lost its link to the phone: close it and choose Authorise in the phone again.");
    return;
  }
  button.disabled = true;
  try {
    const response = await fetch("/api/agent/session", {
      method: "POST",
      credentials: "omit",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value, widgetOrigin: form.dataset.origin }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      say(body.message || `The service answered HTTP ${response.status}.`);
      return;
    }
    form.password.value = "";
    window.opener.postMessage(
      { type: "framephone.agent-session", state: form.dataset.state, accessToken: body.accessToken, expiresIn: body.expiresIn },
      form.dataset.origin,
    );
    document.getElementById("done").hidden = false;
    form.hidden = true;
    window.close();
  } catch (error) {
    say("The service could not be reached: try again.");
  } finally {
    button.disabled = false;
  }
});
