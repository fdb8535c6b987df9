//! (script: the scenario script format.)
