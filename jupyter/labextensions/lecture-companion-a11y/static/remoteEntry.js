/* lecture-companion-a11y: a prebuilt JupyterLab 4 extension, written by hand (no build step).

   JupyterLab loads a prebuilt extension as a module-federation container: this file registers
   window._JUPYTERLAB["lecture-companion-a11y"] with init(shareScope) and get(module), and
   package.json names the two modules JupyterLab asks for:

   - "./mimeExtension": a renderer for image/png and image/jpeg that, unlike JupyterLab's own
     (which ignores output metadata), writes the alt text that lecture_utils.plotting.describe()
     puts into the output's metadata (image/png: {alt: ...}) into the <img alt> attribute. It
     ranks before JupyterLab's image renderer (rank 90), and otherwise renders as it does
     (width/height/unconfined metadata, the jp-RenderedImage class).
   - "./extension": a plugin that names what ipywidgets 8 leaves unnamed: a slider's handle
     (role="slider") gets its widget's description as aria-label, a Play widget's buttons what
     they do. The same naming runs on the published pages and in Voila (the templates'
     companion_macros.html.j2); this is it inside JupyterLab.

   scripts/setup.py copies this folder into the venv's share/jupyter/labextensions/. */
(function () {
  "use strict";
  var scope = null;

  function shared(name) {
    var versions = scope && scope[name];
    if (!versions) { return Promise.reject(new Error(name + " is not shared by JupyterLab")); }
    var newest = Object.keys(versions).sort().pop();
    return Promise.resolve(versions[newest].get()).then(function (factory) { return factory(); });
  }

  var PLAY = {"fa-play": "play", "fa-pause": "pause", "fa-stop": "stop", "fa-retweet": "repeat"};

  function nameWidgets(root) {
    root.querySelectorAll(".widget-slider, .widget-hslider, .widget-vslider").forEach(function (s) {
      var label = s.querySelector(".widget-label");
      var text = (label && label.textContent.trim()) || s.getAttribute("title") || "value";
      s.querySelectorAll(".noUi-handle:not([aria-label])").forEach(function (h) {
        h.setAttribute("aria-label", text);
      });
    });
    root.querySelectorAll(".widget-play button:not([aria-label])").forEach(function (b) {
      var icon = b.querySelector("i");
      var what = icon && Object.keys(PLAY).find(function (k) { return icon.classList.contains(k); });
      b.setAttribute("aria-label", b.title || (what ? PLAY[what] : "play control"));
    });
  }

  var plugin = {
    id: "lecture-companion-a11y:widget-names",
    description: "Accessible names for ipywidgets' slider handles and Play buttons.",
    autoStart: true,
    activate: function () {
      var pending = false;
      new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        requestAnimationFrame(function () { pending = false; nameWidgets(document); });
      }).observe(document.body, {childList: true, subtree: true});
      nameWidgets(document);
    }
  };

  function mimeExtension(widgets) {
    // A class, not a function: Lumino's Widget is an ES class and must be constructed with new.
    class AltImage extends widgets.Widget {
      constructor(options) {
        super();
        this.mimeType = options.mimeType;
        this.addClass("jp-RenderedImage");
      }

      renderModel(model) {
        const data = model.data[this.mimeType];
        const meta = model.metadata[this.mimeType] || {};
        const img = document.createElement("img");
        img.src = "data:" + this.mimeType + ";base64," + data;
        if (typeof meta.alt === "string") { img.alt = meta.alt; }
        if (meta.height) { img.height = meta.height; }
        if (meta.width) { img.width = meta.width; }
        if (meta.unconfined === true) { img.classList.add("jp-mod-unconfined"); }
        this.toggleClass("jp-mod-unconfined", meta.unconfined === true);
        this.node.textContent = "";
        this.node.appendChild(img);
        return Promise.resolve();
      }
    }
    return {
      id: "lecture-companion-a11y:alt-images",
      description: "Images with the alt text of their output metadata.",
      rendererFactory: {
        safe: true,
        mimeTypes: ["image/png", "image/jpeg"],
        createRenderer: function (options) { return new AltImage(options); }
      },
      rank: 50,
      dataType: "string"
    };
  }

  var w = typeof window !== "undefined" ? window : self;
  w._JUPYTERLAB = w._JUPYTERLAB || {};
  w._JUPYTERLAB["lecture-companion-a11y"] = {
    init: function (shareScope) { scope = shareScope; },
    get: function (module) {
      if (module === "./extension") {
        return Promise.resolve(function () { return {__esModule: true, default: [plugin]}; });
      }
      if (module === "./mimeExtension") {
        return shared("@lumino/widgets").then(function (widgets) {
          var ext = mimeExtension(widgets);
          return function () { return {__esModule: true, default: ext}; };
        });
      }
      return Promise.reject(new Error("lecture-companion-a11y has no module " + module));
    }
  };
})();
