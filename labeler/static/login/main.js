// One-time login: the code arrives in the link's fragment (never sent to a server) or is typed in. The session's
// proof, which every API request must send beside the cookie, stays in this origin's localStorage.
import { post, rememberProof } from "../shared/api.js";
import { text } from "../shared/dom.js";

const form = document.getElementById("login-form");
const input = document.getElementById("login-code");
const status = document.getElementById("login-status");
const next = new URLSearchParams(location.search).get("next");
// Served in place of a researcher page (/quality, /researcher) to someone not logged in: back to that page after.
const here = ["/researcher", "/quality"].includes(location.pathname) ? location.pathname : "/researcher";
const target = next && next.startsWith("/") && !next.startsWith("//") ? next : here;

async function logIn(code) {
  text(status, "Logging in…");
  try {
    rememberProof((await post("/api/session", { code })).proof);
  } catch (e) {
    text(status, `Login failed: ${e.message}`);
    input.focus();
    return;
  }
  location.replace(target); // replaces the entry that held the code
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  logIn(input.value.trim());
});

const fromLink = new URLSearchParams(location.hash.slice(1)).get("code");
if (fromLink) {
  history.replaceState(null, "", location.pathname + location.search); // drop the code from the address bar
  logIn(fromLink);
}
