//! Random sequences of commands, losses, drops and time: the agent stays consistent.
