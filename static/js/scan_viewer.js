// Turns the record page's plain list of scan images into a zooming viewer (OpenSeadragon)
// with a thumbnail strip. Without JavaScript, or without OpenSeadragon, the list stays as it is.
(function () {
  "use strict";

  function pagesOf(section) {
    return Array.prototype.map.call(section.querySelectorAll("img[data-zoom]"), function (img) {
      return {
        img: img,
        label: img.dataset.label,
        thumb: img.dataset.thumb,
        levels: [
          { url: img.getAttribute("src"), width: +img.getAttribute("width"), height: +img.getAttribute("height") },
          { url: img.dataset.zoom, width: +img.dataset.zoomWidth, height: +img.dataset.zoomHeight },
        ],
      };
    });
  }

  function enhance(section) {
    var pages = pagesOf(section);
    if (!pages.length || !window.OpenSeadragon) {
      return;
    }
    var stage = section.querySelector("[data-scan-stage]");
    var caption = document.createElement("p");
    caption.className = "scan-viewer-caption";
    caption.setAttribute("aria-live", "polite");
    var canvas = document.createElement("div");
    canvas.className = "scan-viewer-canvas";
    canvas.id = "scan-viewer-canvas";
    stage.appendChild(canvas);
    stage.appendChild(caption);
    stage.hidden = false;
    section.classList.add("scan-viewer--enhanced");

    var viewer = window.OpenSeadragon({
      id: canvas.id,
      prefixUrl: section.dataset.osdImages,
      tileSources: pages.map(function (page) {
        return { type: "legacy-image-pyramid", levels: page.levels };
      }),
      sequenceMode: pages.length > 1,
      showNavigator: true,
      navigatorPosition: "BOTTOM_RIGHT",
      showRotationControl: true,
      preserveViewport: false,
      gestureSettingsMouse: { clickToZoom: true },
    });

    // Kept on the element so that browser tests and the console can reach the viewer.
    section.scanViewer = viewer;
    var links = [];
    function show(index) {
      var page = pages[index];
      caption.textContent = page.label + " (" + (index + 1) + " of " + pages.length + ")";
      viewer.element.setAttribute("aria-label", "Zoomable scan: " + page.img.alt);
      links.forEach(function (link, linkIndex) {
        if (linkIndex === index) {
          link.setAttribute("aria-current", "page");
        } else {
          link.removeAttribute("aria-current");
        }
      });
    }

    // The list becomes a strip of thumbnails that choose the page shown in the viewer.
    pages.forEach(function (page, index) {
      var link = page.img.closest("a");
      page.img.src = page.thumb;
      // The thumbnail's own size (longest edge 240 pixels), so the strip does not shift.
      var zoom = page.levels[1];
      var scale = Math.min(1, 240 / Math.max(zoom.width, zoom.height, 1));
      page.img.width = Math.max(1, Math.round(zoom.width * scale));
      page.img.height = Math.max(1, Math.round(zoom.height * scale));
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (pages.length > 1) {
          viewer.goToPage(index);
        }
        show(index);
        canvas.querySelector(".openseadragon-canvas").focus();
      });
      links.push(link);
    });
    viewer.addHandler("page", function (event) {
      show(event.page);
    });
    show(0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-scan-viewer]").forEach(enhance);
  });
})();
