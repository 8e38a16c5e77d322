/**
 * The test lung and valves behind the simulator: one compliant compartment (volume V above its
 * relaxed state, alveolar pressure V / C) behind the airway resistance R, fed by the inspiratory
 * valve, drained while u_out = 1 by an exhaust held at PEEP and always by a small leak past it.
 *
 * Units: R cmH2O/(L/s), C mL/cmH2O, V mL, flows L/s, pressures cmH2O, times s.
 *
 * At the airway node the flows balance: q_in = (p - V/C)/R + (g_leak + g_exh) (p - PEEP), which
 * fixes p for a given V; V then obeys a linear ODE dV/dt = a - b V inside one time step (q_in and
 * the valves held), integrated exactly, so stiff lungs (R = 5, C = 10) need no sub-steps.
 */

export interface LungModel {
  /** Pressure the exhaust valve holds while open, cmH2O. */
  peep: number;
  /** Inspiratory valve flow at full opening, L/s. */
  maxFlow: number;
  /** Opening (0..100) at which the valve flow reaches tanh(1) of maxFlow. */
  valveScale: number;
  /** Whole steps between a u_in command and the valve starting to follow it. */
  valveDelaySteps: number;
  /** Time constant of the valve following its (delayed) command, s. */
  valveTimeConstant: number;
  /** Resistance of the open exhaust path, cmH2O/(L/s). */
  exhaustResistance: number;
  /**
   * Conductance of the leak past the shut exhaust valve's seat, (L/s)/cmH2O, towards PEEP: what
   * keeps u_in above 0 on a pressure plateau.
   */
  leakConductance: number;
}

/** Calibrated against the real training data's statistics (docs/simulator.md). */
export const DEFAULT_LUNG: LungModel = {
  peep: 5.3,
  maxFlow: 1.5,
  valveScale: 35,
  valveDelaySteps: 1,
  valveTimeConstant: 0.03,
  exhaustResistance: 8,
  leakConductance: 0.018,
};

/** Per-breath mechanical state. */
export interface LungState {
  r: number;
  c: number;
  /** mL above the relaxed volume. */
  volume: number;
}

export function valveFlow(lung: LungModel, opening: number, gain: number): number {
  return gain * lung.maxFlow * Math.tanh(opening / lung.valveScale);
}

/**
 * Airway pressure for the current volume and inflow. The exhaust is a PEEP valve: it only lets
 * air out, so when the airway would fall below PEEP with it open it stays shut (and in between
 * it holds the airway at PEEP).
 */
export function airwayPressure(lung: LungModel, state: LungState, inflow: number, exhaustOpen: boolean): number {
  const shut = pressureWithOutflow(lung, state, inflow, lung.leakConductance);
  if (!exhaustOpen || shut <= lung.peep) return shut;
  const open = pressureWithOutflow(lung, state, inflow, lung.leakConductance + 1 / lung.exhaustResistance);
  return open < lung.peep ? lung.peep : open;
}

/** Solves the airway node with conductance `outflow` to the PEEP level. */
function pressureWithOutflow(lung: LungModel, state: LungState, inflow: number, outflow: number): number {
  const gAirway = 1 / state.r;
  return (inflow + outflow * lung.peep + (state.volume / state.c) * gAirway) / (gAirway + outflow);
}

/** Advances the volume by dt seconds with the inflow and exhaust held. */
export function advanceLung(lung: LungModel, state: LungState, inflow: number, exhaustOpen: boolean, dt: number): void {
  // Pick the regime (exhaust passing air or not) from the start of the step, then solve it exactly.
  const exhausting = exhaustOpen && airwayPressure(lung, state, inflow, exhaustOpen) > lung.peep;
  const outflow = lung.leakConductance + (exhausting ? 1 / lung.exhaustResistance : 0);
  // dV/dt = 1000 (p - V/C) / R, and the node gives p - V/C = (inflow + outflow (PEEP - V/C)) / (1/R + outflow).
  const rate = (1000 * outflow) / (state.r * state.c * (1 / state.r + outflow));
  const equilibrium = state.c * (lung.peep + inflow / outflow);
  state.volume = equilibrium + (state.volume - equilibrium) * Math.exp(-rate * dt);
}
