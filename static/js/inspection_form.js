// The on-site inspection form: autosave, kept in the browser while offline, photos resized
// before upload. No inline script: the page passes URLs and messages as data- attributes.
// The institution's self-inspection (templates/portal/selfcheck_form.html) uses it too: the
// same protocol at its own URLs.
(function () {
  "use strict";
  var root = document.getElementById("inspection-form");
  if (!root) { return; }

  var msg = root.dataset;
  var storageKey = root.dataset.storageKey;
  var serverVersion = parseInt(root.dataset.version, 10);
  var banner = document.getElementById("offline-banner");
  var errorBox = document.getElementById("save-error");
  var localBox = document.getElementById("local-pending");
  var saveState = document.getElementById("save-state");
  var submitForm = document.getElementById("submit-form");
  var submitVersion = document.getElementById("submit-version");
  var flagInputs = Array.prototype.slice.call(root.querySelectorAll("[data-flag]"));
  var DEBOUNCE_MS = 800;

  // What has been typed but not yet accepted by the server, relative to `version`.
  var state = { version: serverVersion, answers: {}, flags: null };
  var position = null;
  var timer = null;
  var inFlight = null;
  var again = false;
  var blocked = false;

  // -- storage -------------------------------------------------------------------------

  // A copy kept from an older version of the record, waiting for the officer's choice.
  var conflictKey = storageKey + ":conflict";
  var conflictCopy = null;
  var newerAnswers = {};
  function readConflict() {
    try { return JSON.parse(window.localStorage.getItem(conflictKey)); } catch (e) { return null; }
  }
  function clearConflict() {
    conflictCopy = null;
    newerAnswers = {};
    try { window.localStorage.removeItem(conflictKey); } catch (e) { /* nothing to clear */ }
  }

  function readStored() {
    try { return JSON.parse(window.localStorage.getItem(storageKey)); } catch (e) { return null; }
  }
  function hasPending() {
    return Object.keys(state.answers).length > 0 || state.flags !== null;
  }
  function persist() {
    root.dataset.pending = hasPending() ? "1" : "0";
    try {
      if (hasPending()) { window.localStorage.setItem(storageKey, JSON.stringify(state)); }
      else { window.localStorage.removeItem(storageKey); }
    } catch (e) { /* private mode or full: the server copy still counts */ }
  }

  // -- the form ------------------------------------------------------------------------

  function items() { return Array.prototype.slice.call(root.querySelectorAll(".inspection-item")); }
  function itemByCode(code) {
    return items().filter(function (el) { return el.dataset.code === code; })[0] || null;
  }
  function field(el, name) { return el.querySelector('[data-field="' + name + '"]'); }

  function readItem(el) {
    var checked = el.querySelector('input[type="radio"]:checked');
    var number = field(el, "number");
    var text = field(el, "text");
    var note = field(el, "note");
    return {
      value: checked ? checked.value : "",
      number: number ? number.value : "",
      text: text ? text.value : "",
      note: note ? note.value : ""
    };
  }

  function writeItem(el, data) {
    if (data.value !== undefined) {
      el.querySelectorAll('input[type="radio"]').forEach(function (radio) {
        radio.checked = radio.value === data.value;
      });
    }
    ["number", "text", "note"].forEach(function (name) {
      var input = field(el, name);
      if (input && data[name] !== undefined) { input.value = data[name]; }
    });
    showProblem(el);
  }

  function answered(el) {
    var data = readItem(el);
    if (el.dataset.type === "number") { return data.number !== ""; }
    if (el.dataset.type === "text") { return data.text.trim() !== ""; }
    return data.value !== "";
  }

  // The typed number in hundredths, rounded half up as the server rounds it
  // (services.parse_number: Decimal, ROUND_HALF_UP), worked on the decimal digits of the
  // text itself so exponent input ("1e-7", "3e0") and long decimals round the same way;
  // NaN when it is not a number.
  function hundredths(text) {
    var m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (!m || (m[2] + (m[3] || "")) === "") { return NaN; }
    var digits = m[2] + (m[3] || "");
    // Digits kept: those before the decimal point once shifted two places to the right.
    var keep = m[2].length + Number(m[4] || 0) + 2;
    if (keep > 40) { return (m[1] === "-" ? -1 : 1) * Infinity; }  // refused by the server
    var padded = digits + new Array(Math.max(0, keep - digits.length) + 1).join("0");
    var kept = keep <= 0 ? "0" : padded.slice(0, keep);
    var next = keep < 0 ? "0" : (digits.charAt(keep) || "0");
    var n = Number(kept) + (next >= "5" ? 1 : 0);
    return m[1] === "-" ? -n : n;
  }

  // A measured item's limit, judged as the server judges it (services.judged_value): the
  // number rounded half up to two places, below the minimum or above the maximum breaks it,
  // exactly the limit complies. The value is kept and saved either way.
  function limitBroken(el) {
    var box = el.querySelector("[data-limit-min]");
    var input = field(el, "number");
    if (!box || !input || input.value.trim() === "") { return false; }
    var n = hundredths(input.value);
    if (!isFinite(n)) { return false; }
    var low = box.dataset.limitMin, high = box.dataset.limitMax;
    // Compared in hundredths: the limits are two-decimal numbers too.
    return (low !== "" && n < Math.round(Number(low) * 100)) ||
      (high !== "" && n > Math.round(Number(high) * 100));
  }

  function showProblem(el) {
    var problem = el.querySelector(".problem");
    var warning = el.querySelector('[data-role="limit-broken"]');
    if (warning) {
      var broken = limitBroken(el);
      warning.hidden = !broken;
      if (problem) { problem.hidden = !broken; }
      return;
    }
    if (problem) { problem.hidden = readItem(el).value !== "non_compliant"; }
  }

  function updateProgress() {
    var done = 0;
    root.querySelectorAll(".inspection-section").forEach(function (section) {
      var rows = Array.prototype.slice.call(section.querySelectorAll(".inspection-item"));
      var count = rows.filter(answered).length;
      done += count;
      var badge = section.querySelector('[data-role="section-progress"]');
      badge.textContent = count + "/" + rows.length;
      badge.classList.toggle("text-bg-success", count === rows.length);
      badge.classList.toggle("text-bg-secondary", count !== rows.length);
    });
    document.getElementById("progress-done").textContent = String(done);
  }

  function setStatus(text) { saveState.textContent = text; }

  function showError(text, withReload) {
    errorBox.querySelector('[data-role="message"]').textContent = text;
    errorBox.querySelector('[data-action="reload"]').hidden = !withReload;
    errorBox.hidden = false;
  }

  function setOffline(offline) {
    banner.hidden = !offline;
    if (offline) { setStatus(msg.msgOffline); }
  }

  function changed(el) {
    state.answers[el.dataset.code] = readItem(el);
    if (conflictCopy) { newerAnswers[el.dataset.code] = state.answers[el.dataset.code]; }
    persist();
    showProblem(el);
    updateProgress();
    setStatus(msg.msgUnsaved);
    schedule();
  }

  // -- saving --------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, DEBOUNCE_MS);
  }

  function flagValue(name) {
    var input = flagInputs.filter(function (i) { return i.dataset.flag === name; })[0];
    return input ? input.checked : undefined;
  }

  function flagsDifferFromPage() {
    return flagValue("has_kitchen") !== (root.dataset.hasKitchen === "1") ||
      flagValue("has_dormitory") !== (root.dataset.hasDormitory === "1");
  }

  // Send everything pending; resolves true when the server holds it all.
  function flush() {
    window.clearTimeout(timer);
    timer = null;
    if (inFlight) { again = true; return inFlight; }
    if (!hasPending()) { return Promise.resolve(true); }
    if (blocked) { return Promise.resolve(false); }
    var sent = JSON.parse(JSON.stringify(state.answers));
    var sentFlags = state.flags;
    var body = {
      version: state.version,
      answers: sent,
      has_kitchen: flagValue("has_kitchen"),
      has_dormitory: flagValue("has_dormitory")
    };
    if (position) { body.latitude = position.latitude; body.longitude = position.longitude; }
    setStatus(msg.msgSaving);
    inFlight = window.fetch(root.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (response.redirected || type.indexOf("application/json") === -1) {
        return { status: "login" };
      }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      if (result.status === 200) {
        state.version = result.data.version;
        if (submitVersion) { submitVersion.value = String(state.version); }
        Object.keys(sent).forEach(function (code) {
          if (JSON.stringify(state.answers[code]) === JSON.stringify(sent[code])) {
            delete state.answers[code];
          }
        });
        if (state.flags === sentFlags) { state.flags = null; }
        persist();
        setOffline(false);
        errorBox.hidden = true;
        setStatus(msg.msgSaved + " " + result.data.saved_at);
        if (flagsDifferFromPage() && !hasPending()) {
          // Kitchen or dormitory changed which items apply: draw them afresh.
          window.location.reload();
        }
        return true;
      }
      persist();
      if (result.status === "login") {
        showError(msg.msgLogin, false);
      } else if (result.status === 409) {
        // Someone else saved in between: stop, never overwrite their work silently.
        blocked = true;
        showError(result.data.error, true);
      } else {
        showError(result.data.error || String(result.status), false);
      }
      setStatus(msg.msgUnsaved);
      return false;
    }, function () {
      persist();
      setOffline(true);
      return false;
    }).then(function (ok) {
      inFlight = null;
      if (again) {
        again = false;
        if (ok) { return flush(); }
      }
      return ok;
    });
    return inFlight;
  }

  // -- photos --------------------------------------------------------------------------
  //
  // Every photo is kept in IndexedDB (resized, with the upload URL of its item) before it
  // is sent, and removed only once the server has answered for it. A photo taken offline
  // therefore survives a closed page: it goes up when the network returns or when the
  // form is opened again online. Without IndexedDB (some private modes) the queue lives
  // in memory only, as before.

  var inspectionId = root.dataset.inspection;
  var DB_NAME = "anquan-inspection-photos";
  var STORE = "photos";
  var memoryQueue = [];          // used only when IndexedDB cannot be opened
  var sending = {};              // entry ids on their way, so none goes up twice at once
  var draining = null;
  var pendingBox = document.getElementById("photo-pending");
  var pendingCount = 0;
  var dbPromise = null;

  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var request;
      try { request = window.indexedDB.open(DB_NAME, 1); } catch (e) { resolve(null); return; }
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        store.createIndex("inspection", "inspection", { unique: false });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
      request.onblocked = function () { resolve(null); };
    });
    return dbPromise;
  }

  // Run one request in its own transaction; resolves with its result once committed.
  function dbRun(mode, work) {
    return openDb().then(function (db) {
      if (!db) { return null; }
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request ? request.result : null); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function storedEntries() {
    return dbRun("readonly", function (store) {
      return store.index("inspection").getAll(inspectionId);
    }).then(function (rows) {
      return (rows || []).concat(memoryQueue);
    }, function () {
      return memoryQueue.slice();
    });
  }

  // Keep an entry; resolves with it (and its id) whether or not IndexedDB took it.
  var memoryIds = 0;
  function keepInMemory(entry) {
    memoryIds += 1;
    entry.id = "memory-" + memoryIds;
    memoryQueue.push(entry);
    return entry;
  }
  function keep(entry) {
    return dbRun("readwrite", function (store) { return store.add(entry); }).then(function (id) {
      if (id === null) { return keepInMemory(entry); }
      entry.id = id;
      return entry;
    }, function () { return keepInMemory(entry); });
  }

  function forget(entry) {
    var index = memoryQueue.indexOf(entry);
    if (index !== -1) { memoryQueue.splice(index, 1); return Promise.resolve(); }
    return dbRun("readwrite", function (store) { return store["delete"](entry.id); })
      .then(null, function () { /* stays kept; the server stores one copy per photo */ });
  }

  function showPending() {
    return storedEntries().then(function (rows) {
      pendingCount = rows.length;
      pendingBox.querySelector('[data-role="count"]').textContent = String(pendingCount);
      pendingBox.hidden = pendingCount === 0;
      root.dataset.photosPending = String(pendingCount);
      return pendingCount;
    });
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return window.createImageBitmap(file, { imageOrientation: "from-image" });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  // Longest side at most 1600 px, JPEG quality 0.8; the original goes up if the browser
  // cannot read it (the server then decides).
  function resize(file) {
    return decode(file).then(function (image) {
      var scale = Math.min(1, 1600 / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(image.width * scale));
      canvas.height = Math.max(1, Math.round(image.height * scale));
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) { image.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.8);
      });
    }).catch(function () { return file; });
  }

  function photoStatus(el, text, isError) {
    if (!el) { return; }
    var status = el.querySelector('[data-role="photo-status"]');
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("text-danger", !!isError);
    status.classList.toggle("text-secondary", !isError);
  }

  function addThumb(el, url) {
    if (!el) { return; }
    var link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    var img = document.createElement("img");
    img.className = "thumb";
    img.src = url;
    img.alt = msg.msgPhotoAlt;
    link.appendChild(img);
    el.querySelector('[data-role="thumbs"]').appendChild(link);
  }

  // Send one kept photo. Resolves "done" once the server has answered for it (stored, or
  // refused for good with the reason shown on the item), "kept" when it has to wait.
  function send(entry) {
    var el = itemByCode(entry.code);
    var form = new FormData();
    form.append("photo", entry.blob, entry.name);
    form.append("taken_at", entry.takenAt);
    photoStatus(el, msg.msgUploading, false);
    return window.fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: form
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (response.redirected || type.indexOf("application/json") === -1 || response.status >= 500) {
        // Logged out, or the server is in trouble: nothing was decided, keep it.
        photoStatus(el, msg.msgPhotoOffline, true);
        return "kept";
      }
      return response.json().then(function (data) {
        if (response.ok) {
          addThumb(el, data.url);
          photoStatus(el, "", false);
        } else {
          photoStatus(el, msg.msgPhotoFailed + "：" + (data.error || response.status), true);
        }
        return forget(entry).then(function () { return "done"; });
      });
    }, function () {
      photoStatus(el, msg.msgPhotoOffline, true);
      return "kept";
    });
  }

  // Send every kept photo of this inspection, one at a time; resolves with how many wait.
  function drainPhotos() {
    if (draining) { return draining; }
    draining = storedEntries().then(function (rows) {
      return rows.reduce(function (chain, entry) {
        return chain.then(function (stop) {
          if (stop || sending[entry.id]) { return stop; }
          sending[entry.id] = true;
          return send(entry).then(function (outcome) {
            delete sending[entry.id];
            return outcome === "kept";  // offline: the rest would fail the same way
          });
        });
      }, Promise.resolve(false));
    }).then(showPending, showPending).then(function (count) {
      draining = null;
      return count;
    });
    return draining;
  }

  // Photos being resized or kept: submit waits for them, so none is lost by navigating away.
  var uploadsInFlight = 0;

  function uploadPhotos(el, files) {
    uploadsInFlight += files.length;
    var settle = function () { uploadsInFlight -= files.length; };
    var code = el.dataset.code;
    // Kept first, then sent: closing the page at any moment loses nothing.
    return Array.prototype.reduce.call(files, function (chain, file) {
      return chain.then(function () { return resize(file); }).then(function (blob) {
        return keep({
          inspection: inspectionId,
          code: code,
          url: el.dataset.photoUrl,
          blob: blob,
          name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg",
          takenAt: new Date(file.lastModified || Date.now()).toISOString(),
          keptAt: new Date().toISOString()
        });
      });
    }, Promise.resolve()).then(showPending).then(function () {
      // Save the answer first, so the photo joins the answer as the officer sees it.
      return flush();
    }).then(function () { return drainPhotos(); }).then(settle, settle);
  }

  // -- wiring --------------------------------------------------------------------------

  root.addEventListener("change", function (event) {
    var target = event.target;
    if (target.dataset.flag) {
      state.flags = { has_kitchen: flagValue("has_kitchen"), has_dormitory: flagValue("has_dormitory") };
      persist();
      flush();
      return;
    }
    var el = target.closest(".inspection-item");
    if (!el) { return; }
    if (target.dataset.field === "photos") {
      var files = Array.prototype.slice.call(target.files || []);
      uploadPhotos(el, files).then(function () { target.value = ""; });
      return;
    }
    changed(el);
  });

  root.addEventListener("input", function (event) {
    var el = event.target.closest(".inspection-item");
    if (el && event.target.dataset.field && event.target.dataset.field !== "photos") { changed(el); }
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) { return; }
    var action = button.dataset.action;
    if (action === "section-compliant") {
      var section = button.closest(".inspection-section");
      section.querySelectorAll('.inspection-item[data-type="compliance"]').forEach(function (el) {
        if (readItem(el).value === "") {
          writeItem(el, { value: "compliant" });
          state.answers[el.dataset.code] = readItem(el);
        }
      });
      persist();
      updateProgress();
      setStatus(msg.msgUnsaved);
      schedule();
    } else if (action === "reload") {
      window.location.reload();
    } else if (action === "apply-local") {
      var stored = readConflict() || conflictCopy || {};
      applyStored(stored);
      // Edits made since the page opened stay on top of the older copy.
      Object.keys(newerAnswers).forEach(function (code) {
        state.answers[code] = newerAnswers[code];
        var el = itemByCode(code);
        if (el) { writeItem(el, newerAnswers[code]); }
      });
      clearConflict();
      // state.version is already the server's latest (saves made meanwhile moved it on).
      localBox.hidden = true;
      persist();
      flush();
    } else if (action === "discard-local") {
      clearConflict();
      localBox.hidden = true;
    }
  });

  // A department filling its part of education's inspection has no submit form.
  if (submitForm) { submitForm.addEventListener("submit", submitWhenSent); }
  function submitWhenSent(event) {
    event.preventDefault();
    var notice = document.getElementById("submit-blocked");
    notice.hidden = true;
    var button = submitForm.querySelector('button[type="submit"]');
    if (button.disabled) { return; }  // a second tap while the first is on its way
    button.disabled = true;
    flush().then(function (ok) {
      return drainPhotos().then(function (waiting) { return ok && waiting === 0; });
    }).then(function (ok) {
      if (!ok || hasPending() || uploadsInFlight > 0) {
        notice.textContent = msg.msgNotSent;
        notice.hidden = false;
        button.disabled = false;
        return;
      }
      submitVersion.value = String(state.version);
      submitForm.submit();
    });
  }

  window.addEventListener("online", function () { flush().then(drainPhotos); });
  window.addEventListener("offline", function () { if (hasPending()) { setOffline(true); } });
  // A network that is up but cannot reach the server raises no `online` event.
  window.setInterval(function () {
    if (!inFlight && !blocked && hasPending() && !banner.hidden) { flush(); }
    if (pendingCount && navigator.onLine && !draining) { drainPhotos(); }
  }, 15000);

  function applyStored(stored) {
    state.answers = stored.answers || {};
    state.flags = stored.flags || null;
    Object.keys(state.answers).forEach(function (code) {
      var el = itemByCode(code);
      if (el) { writeItem(el, state.answers[code]); } else { delete state.answers[code]; }
    });
    if (state.flags) {
      flagInputs.forEach(function (input) {
        if (state.flags[input.dataset.flag] !== undefined) { input.checked = state.flags[input.dataset.flag]; }
      });
    }
    updateProgress();
  }

  // On load: what this browser kept from last time goes back into the form first.
  var stored = readStored();
  var firstSave = Promise.resolve(true);
  if (stored && ((stored.answers && Object.keys(stored.answers).length) || stored.flags)) {
    if (stored.version === serverVersion) {
      applyStored(stored);
      setStatus(msg.msgUnsaved);
      firstSave = flush();
    } else {
      // The record moved on since: the officer decides, nothing is overwritten silently.
      // The old copy moves aside, so edits made meanwhile cannot overwrite it.
      try {
        window.localStorage.setItem(conflictKey, JSON.stringify(stored));
        window.localStorage.removeItem(storageKey);
      } catch (e) { /* storage full: the choice below still offers what was read */ }
      conflictCopy = stored;
      localBox.hidden = false;
    }
  }

  // Photos kept from an earlier visit (say, a page closed while offline) go up now, after
  // the answers they belong to.
  firstSave.then(function () { return drainPhotos(); });

  // The institution's self-inspection (data-locate="0") is not a visit: no location asked.
  if (navigator.geolocation && root.dataset.locate !== "0") {
    navigator.geolocation.getCurrentPosition(function (pos) {
      position = {
        latitude: Math.round(pos.coords.latitude * 1e6) / 1e6,
        longitude: Math.round(pos.coords.longitude * 1e6) / 1e6
      };
    }, function () { /* refused or unavailable: the record simply has no location */ },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 300000 });
  }
})();
