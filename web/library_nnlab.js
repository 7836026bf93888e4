// Browser side of web/main.cpp (an Emscripten --js-library): fetches IDX files
// with per-file progress, downloads checkpoints, opens the checkpoint file
// picker and reports the page size and pixel density. Results go back through exported C calls.
mergeInto(LibraryManager.library, {
  // Fetches url + '.gz', then url (raw) if that 404s; streams the body so the
  // page can show bytes received / total, then copies it into the WASM heap.
  // A file is refused past cap bytes: at once when Content-Length says more,
  // else while streaming, counting the bytes the body reader gives, which the
  // browser has already decoded (Content-Encoding), so a gzip bomb is counted
  // as it inflates. The chunks stay in JS memory until the whole file is in
  // and within the cap: a refused response never grows the WASM heap, which
  // cannot shrink. Each fetch has an AbortController that nnlab_js_cancel uses.
  nnlab_js_fetch__deps: ['$nnlabFetches'],
  nnlab_js_fetch: function (gen, index, urlPtr, cap) {
    var base = UTF8ToString(urlPtr);
    var controller = new AbortController();
    nnlabFetches.add(controller);
    var call = function (name, types, args) { Module.ccall(name, null, types, args); };
    var fail = function (url, reason) {
      call('nnlab_file_failed', ['number', 'number', 'string', 'string'], [gen, index, url, reason]);
    };
    var refused = false;  // aborted by the cap, not by nnlab_js_cancel
    var tooBig = function (url, what) {
      refused = true;
      controller.abort();
      return {url: url, error: 'too large: ' + what + ', over the limit of ' + cap + ' bytes per file'};
    };
    var get = async function (url) {
      var response;
      try {
        response = await fetch(url, {cache: 'no-cache', signal: controller.signal});
      } catch (e) {
        return {error: 'network error (' + e + ')', url: url};
      }
      if (!response.ok) {
        if (response.body) response.body.cancel().catch(function () {});
        return {status: response.status, url: url,
                error: 'HTTP ' + response.status + (response.statusText ? ' ' + response.statusText : '')};
      }
      // Content-Length is the encoded size: a bound on the download, not on the decoded bytes.
      var announced = Number(response.headers.get('Content-Length')) || 0;
      if (announced > cap)
        return tooBig(url, 'Content-Length says ' + announced + ' bytes');
      var chunks = [], received = 0;
      try {
        var reader = response.body.getReader();
        for (;;) {
          var r = await reader.read();
          if (r.done) break;
          received += r.value.length;
          if (received > cap) return tooBig(url, received + ' bytes received so far');
          chunks.push(r.value);
          call('nnlab_file_progress', ['number', 'number', 'number', 'number'],
               [gen, index, received, received <= announced ? announced : 0]);
        }
      } catch (e) {
        return {error: 'network error while reading (' + e + ')', url: url};
      }
      return {chunks: chunks, size: received, url: url};
    };
    (async function () {
      var got = await get(base + '.gz');
      if (got.status === 404) {
        var raw = await get(base);
        if (raw.status === 404)
          got = {url: base + '.gz', error: 'HTTP 404 Not Found (also tried ' + base + ')'};
        else
          got = raw;
      }
      nnlabFetches.delete(controller);
      if (controller.signal.aborted && !refused) return;  // nnlab_js_cancel: the session dropped this download
      if (got.error) { fail(got.url, got.error); return; }
      // The C side sizes its buffer (or refuses), then we copy straight into it (no second copy).
      var ptr = Module.ccall('nnlab_file_buffer', 'number', ['number', 'number', 'number'],
                             [gen, index, got.size]);
      if (!ptr && got.size) { fail(got.url, 'no memory for its ' + got.size + ' bytes'); return; }
      var off = 0;
      for (var i = 0; i < got.chunks.length; ++i) {
        HEAPU8.set(got.chunks[i], ptr + off);
        off += got.chunks[i].length;
      }
      call('nnlab_file_loaded', ['number', 'number', 'string', 'number'], [gen, index, got.url, got.size]);
    })();
  },

  // The downloads in flight (their AbortControllers).
  $nnlabFetches: 'new Set()',

  // Aborts every download in flight; their answers are never reported.
  nnlab_js_cancel__deps: ['$nnlabFetches'],
  nnlab_js_cancel: function () {
    nnlabFetches.forEach(function (c) { c.abort(); });
    nnlabFetches.clear();
  },

  nnlab_js_download: function (ptr, size, namePtr) {
    var blob = new Blob([HEAPU8.slice(ptr, ptr + size)], {type: 'application/octet-stream'});
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = UTF8ToString(namePtr);
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  },

  nnlab_js_pick_file: function () {
    var input = document.createElement('input');
    input.type = 'file';
    input.accept = '.nnlb,application/octet-stream';
    input.onchange = async function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var bytes = new Uint8Array(await file.arrayBuffer());
      var ptr = Module.ccall('nnlab_model_buffer', 'number', ['number'], [bytes.length]);
      if (bytes.length) HEAPU8.set(bytes, ptr);
      Module.ccall('nnlab_model_loaded', null, ['number', 'string'], [bytes.length, file.name]);
    };
    input.click();
  },

  nnlab_js_query: function () {
    var q = window.location.search || '';
    var n = lengthBytesUTF8(q) + 1;
    var p = _malloc(n);
    stringToUTF8(q, p, n);
    return p;
  },

  nnlab_js_width: function () { return window.innerWidth | 0; },
  nnlab_js_height: function () { return window.innerHeight | 0; },
  // Device pixels per CSS pixel (2 on most phones and Retina screens, also with browser zoom).
  nnlab_js_dpr: function () { return window.devicePixelRatio || 1; },
  // Sizes the canvas' backing store; GLFW hears of it through Browser's resize
  // listeners. Not glfwSetWindowSize: Emscripten 3.1.6's asks for fullscreen
  // instead when the size equals the screen's (a maximised window, a phone),
  // which the browser refuses ("Permissions check failed") and nothing resizes.
  nnlab_js_set_canvas_size__deps: ['$Browser'],
  nnlab_js_set_canvas_size: function (width, height) { Browser.setCanvasSize(width, height); },
});
