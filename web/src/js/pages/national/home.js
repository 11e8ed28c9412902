// `/national`: the national back office starts with its organisations.

export async function render(view, { navigate }) {
  await navigate('/national/organisations', { replace: true });
}
