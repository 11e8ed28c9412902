// The DSFR's script takes elements in hand on the frames after they enter the page; the portal
// waits for it before driving a component (opening a dialog, choosing a tab).

/** The DSFR instance of `kind` (`modal`, `tabPanel`…) on `element`, once it exists. */
export function dsfrInstance(element, kind, timeout = 10_000) {
  const deadline = performance.now() + timeout;
  return new Promise((resolve, reject) => {
    const check = () => {
      const instance = window.dsfr?.(element)?.[kind];
      if (instance) resolve(instance);
      else if (performance.now() > deadline) reject(new Error(`the DSFR did not set up the ${kind}`));
      else requestAnimationFrame(check);
    };
    check();
  });
}
