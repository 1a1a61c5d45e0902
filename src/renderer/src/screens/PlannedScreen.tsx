export function PlannedScreen({ title }: { title: string }) {
  return (
    <section className="screen">
      <h1>{title}</h1>
      <p className="muted">This screen is not built yet.</p>
    </section>
  );
}
