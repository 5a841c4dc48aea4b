// Progress for document uploads. Without this script the forms post as usual
// and the server answers with a redirect; with it, the same request goes
// through XMLHttpRequest so the bar can show how much has been sent.
(function () {
  function enhance(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      var bar = form.querySelector("progress");
      var error = document.getElementById(form.dataset.error);
      var status = document.getElementById(form.dataset.status);
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      error.textContent = "";
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      status.textContent = "Uploading…";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "Uploading… " + bar.value + "%";
        }
      };
      xhr.onload = function () {
        button.disabled = false;
        if (xhr.status === 200) {
          status.textContent = "Uploaded. Checking the document…";
          var kind = form.action.split("/").pop();
          window.location.assign(window.location.pathname + "?uploaded=" + kind + "#documents");
          return;
        }
        bar.hidden = true;
        status.textContent = "";
        var message = "The upload did not work and nothing was saved. Please try again.";
        try { message = JSON.parse(xhr.responseText).error || message; } catch (_) {}
        error.textContent = message;
      };
      xhr.onerror = xhr.onabort = function () {
        button.disabled = false;
        bar.hidden = true;
        status.textContent = "";
        error.textContent = "The connection broke before the upload finished. Nothing was saved; please try again.";
      };
      xhr.send(new FormData(form));
    });
  }
  function scan() {
    document.querySelectorAll("form[data-upload]").forEach(enhance);
  }
  scan();
  // Pages reached by client-side navigation add their forms later.
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
})();
