// `/`: the first section the person may use; a message when they may use none.

import { add } from '../dom.js';
import { home } from '../router.js';
import { pageTitle } from '../ui/layout.js';
import { alert } from '../ui/feedback.js';

export async function render(view, { navigate }) {
  const target = home();
  if (target) {
    await navigate(target, { replace: true });
    return;
  }
  add(
    view,
    ...pageTitle('Portail HubEE'),
    alert({
      type: 'info',
      title: "Votre compte n'a encore aucun rôle",
      text: "Pour consulter des télédossiers ou administrer votre service, demandez à l'administrateur local de votre organisation de vous attribuer un rôle.",
    }),
  );
}
