// Passkeys (WebAuthn): adding one on the Security page, signing in with one on /signin.
// No inline script (the CSP allows only /static): this file finds its forms by data-passkey.
// The server sends the options as JSON (base64url for the binary parts) and checks the
// answers; this file only converts between JSON and what navigator.credentials expects.
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null
    };
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (!answer.ok) {
          throw new Error(data.error || "Something went wrong. Reload the page and try again.");
        }
        return data;
      });
    });
  }

  // What the browser says when the person closes the passkey dialog, in words.
  function sentence(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      return "No passkey was used (the request was cancelled or timed out).";
    }
    if (error && error.name === "SecurityError") {
      return "Passkeys work only when this site is opened by its name (https://... or " +
        "http://localhost), not by an IP address.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already has a passkey for your account.";
    }
    return (error && error.message) || "Something went wrong. Try again.";
  }

  function wire(form) {
    var kind = form.getAttribute("data-passkey");
    var alert = form.querySelector("[data-passkey-alert]");
    var button = form.querySelector("button");
    var csrf = form.querySelector("input[name=csrf_token]").value;
    if (!window.PublicKeyCredential) {
      alert.textContent = "This browser cannot use passkeys.";
      button.disabled = true;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      alert.textContent = "";
      button.disabled = true;
      var run = kind === "register" ? register(form, csrf) : signIn(form, csrf);
      run.then(function (done) {
        window.location.assign(done.redirect || "/");
      }).catch(function (error) {
        alert.textContent = sentence(error);
        button.disabled = false;
      });
    });
  }

  function register(form, csrf) {
    var name = form.querySelector("input[name=name]").value;
    return post("/security/passkeys/options", csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      return post("/security/passkeys", csrf, { name: name, credential: credentialJSON(credential) });
    });
  }

  function signIn(form, csrf) {
    var next = form.querySelector("input[name=next]");
    return post("/signin/passkey/options", csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post("/signin/passkey", csrf, {
        credential: credentialJSON(credential),
        next: next ? next.value : ""
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(wire);
})();
