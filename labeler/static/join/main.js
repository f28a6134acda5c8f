// An annotator's invite: the code (in the link's fragment, never sent to a server) becomes a session.
import { post } from "../shared/api.js";

const status = document.getElementById("join-status");
const code = new URLSearchParams(location.hash.slice(1)).get("code");
history.replaceState(null, "", location.pathname);  // drop the code from the address bar

async function join() {
  if (!code) {
    status.textContent = "This link holds no invite code.";
    return;
  }
  let body;
  try {
    body = await post("/api/session", { code });
  } catch (e) {
    status.textContent = `Could not sign in: ${e.message}`;
    return;
  }
  location.replace(`/?annotator=${encodeURIComponent(body.name || "")}`);
}

join();
