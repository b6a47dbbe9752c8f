// "Use where I am now": fills the pick-up point from the phone's location, when the browser can give it.
// Without JavaScript or without a location the form works as before: the point is typed or chosen from a list.
(function () {
  var holder = document.getElementById("locate");
  var lat = document.getElementById("id_pickup_latitude");
  var lon = document.getElementById("id_pickup_longitude");
  if (!holder || !lat || !lon || !("geolocation" in navigator)) return;
  var status = document.getElementById("locate-status");
  // Next to the pick-up point it fills, right after the longitude field.
  var field = lon.closest(".field") || lon.parentNode;
  field.after(holder);
  holder.after(status);
  var button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = holder.dataset.label;
  holder.appendChild(button);
  button.addEventListener("click", function () {
    status.textContent = holder.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (where) {
      lat.value = where.coords.latitude.toFixed(6);
      lon.value = where.coords.longitude.toFixed(6);
      status.textContent = holder.dataset.done.replace("%(lat)s", lat.value).replace("%(lon)s", lon.value);
    }, function () {
      status.textContent = holder.dataset.failed;
    }, {enableHighAccuracy: true, timeout: 15000});
  });
})();
