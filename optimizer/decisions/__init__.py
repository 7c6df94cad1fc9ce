"""Decision support in the planning group's units: breach-days and SEK.

- `shadow_prices`: breach-days avoided by one more theatre day or bed-day, per hospital × specialty;
- `purchases`: purchase options (hospital, specialty, days a week, price) ranked by SEK per breach-day
  avoided, each planned as a warm-started variant;
- `target`: the fewest extra theatre days that bring the share waiting over 90 days below a level by
  a given week, or the proof that no purchase at the candidate hospitals can.

These plan scenarios (they sit above `optimizer.planning`); money tables that need only a plan are in
`optimizer.results.money`.
"""
