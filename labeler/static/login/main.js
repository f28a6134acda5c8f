// One-time login: the code arrives in the link's fragment (never sent to a server) or is typed in.
const form = document.getElementById("login-form");
const input = document.getElementById("login-code");
const status = document.getElementById("login-status");
const next = new URLSearchParams(location.search).get("next");
const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/researcher";

async function logIn(code) {
  status.textContent = "Logging in…";
  const resp = await fetch("/api/session", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }),
  });
  if (resp.ok) {
    location.replace(target);  // replaces the entry that held the code
    return;
  }
  const body = await resp.json().catch(() => ({}));
  status.textContent = typeof body.detail === "string" ? body.detail : `login failed (${resp.status})`;
  input.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  logIn(input.value.trim());
});

const fromLink = new URLSearchParams(location.hash.slice(1)).get("code");
if (fromLink) {
  history.replaceState(null, "", location.pathname + location.search);  // drop the code from the address bar
  logIn(fromLink);
}
