// app.js -- the console's entry: sign-in and sign-out, the tabs.
import { $, say } from "./dom.js";
import { api, setCsrf, ApiError } from "./api.js";
import * as credits from "./credits.js";
import * as periods from "./periods.js";
import * as balances from "./balances.js";
import * as dialog from "./dialog.js";

const state = { user: null, role: null };

function isDistributor() {
  return state.role === "distributor";
}

const TABS = { credits, balances, periods };

function showTab(name) {
  for (const t of Object.keys(TABS)) {
    $(t + "-view").hidden = t !== name;
    $("tab-" + t).toggleAttribute("aria-current", false);
  }
  $("tab-" + name).setAttribute("aria-current", "page");
  TABS[name].refresh();
}

function signedIn(who) {
  state.user = who.user;
  state.role = who.role;
  setCsrf(who.csrf_token);
  $("signin-view").hidden = true;
  $("who").hidden = false;
  $("tabs").hidden = false;
  $("who-name").textContent = who.user + " (" + who.role + ")";
  $("tab-periods").hidden = !isDistributor();
  dialog.setRole(who.role);
  credits.setRole(who.role);
  balances.reset();
  showTab("credits");
  $("main").focus();
}

function signedOut(message) {
  state.user = state.role = null;
  setCsrf("");
  $("who").hidden = true;
  $("tabs").hidden = true;
  for (const t of Object.keys(TABS)) $(t + "-view").hidden = true;
  $("signin-view").hidden = false;
  $("signin-error").textContent = message || "";
  $("signin-password").value = "";
  $("signin-user").focus();
}

async function onSignin(ev) {
  ev.preventDefault();
  const user = $("signin-user").value.trim();
  const password = $("signin-password").value;
  $("signin-error").textContent = "";
  if (!user || !password) {
    $("signin-error").textContent = "Enter your user name and password.";
    return;
  }
  try {
    const { data } = await api("POST", "/api/v1/session", { body: { user, password } });
    $("signin-password").value = "";
    say("Signed in as " + data.user + ".");
    signedIn(data);
  } catch (e) {
    $("signin-password").value = "";
    $("signin-error").textContent =
      e.status === 401 ? "Wrong user name or password." : e.message;
    $("signin-password").focus();
  }
}

async function onSignout() {
  try {
    await api("DELETE", "/api/v1/session");
  } catch (e) {
    /* signed out either way */
  }
  say("Signed out.");
  signedOut("");
}

// Any call that finds the session gone brings back the sign-in form.
window.addEventListener("awc-unauthorized", () => {
  dialog.close();
  signedOut("Your session ended: sign in again.");
});

async function boot() {
  $("signin").addEventListener("submit", onSignin);
  $("signout").addEventListener("click", onSignout);
  $("tab-credits").addEventListener("click", () => showTab("credits"));
  $("tab-balances").addEventListener("click", () => showTab("balances"));
  $("tab-periods").addEventListener("click", () => showTab("periods"));
  credits.init();
  balances.init();
  periods.init();
  dialog.init(() => credits.refresh());
  try {
    const { data } = await api("GET", "/api/v1/session");
    signedIn(data);
  } catch (e) {
    signedOut(e instanceof ApiError && e.status !== 401 ? e.message : "");
  }
}

boot();
