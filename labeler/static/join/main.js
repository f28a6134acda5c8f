// An annotator's invite: the code (in the link's fragment, never sent to a server) becomes a session, whose proof
// stays in this origin's localStorage for the annotator view's requests.
import { post, rememberProof } from "../shared/api.js";
import { text } from "../shared/dom.js";

const status = document.getElementById("join-status");
const code = new URLSearchParams(location.hash.slice(1)).get("code");
history.replaceState(null, "", location.pathname);  // drop the code from the address bar

async function join() {
  if (!code) {
    text(status, "This link holds no invite code.");
    return;
  }
  let joined;
  try {
    joined = await post("/api/session", { code });
  } catch (e) {
    text(status, `Could not sign you in: ${e.message}`);
    return;
  }
  rememberProof(joined.proof);
  location.replace(`/?annotator=${encodeURIComponent(joined.name || "")}`);
}

join();
