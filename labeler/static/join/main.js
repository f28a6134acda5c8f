// An annotator's invite: the code (in the link's fragment, never sent to a server) becomes a session.
const status = document.getElementById("join-status");
const code = new URLSearchParams(location.hash.slice(1)).get("code");
history.replaceState(null, "", location.pathname);  // drop the code from the address bar

async function join() {
  if (!code) {
    status.textContent = "This link holds no invite code.";
    return;
  }
  const resp = await fetch("/api/session", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }),
  });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    status.textContent = typeof body.detail === "string" ? body.detail : `could not sign in (${resp.status})`;
    return;
  }
  location.replace(`/?annotator=${encodeURIComponent(body.name || "")}`);
}

join();
