//! Modeled channels (erasure, bursts, bit errors, IRSA random access) for encoded packets.
