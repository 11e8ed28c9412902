// Saving what the API sends as a file (a zip, an attachment) under the name it gives.

/** Offers `blob` for download as `fileName`. */
export function save({ blob, fileName }, fallbackName = 'telechargement') {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName || fallbackName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
