//! The optimization loop's decisions: failure clustering, lever mapping, proposal rules, gates,
//! acceptance, plateau, audit and checkpoint state. Pure; the runner in `cli` drives the I/O.
