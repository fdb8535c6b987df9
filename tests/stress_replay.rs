//! The starting book taken from a replay sample: a small Tardis L2 file
//! next to the config, read up to the chosen moment.

use std::fs;

use cascade::stress::{stress, Shard, StressOptions};

#[test]
fn a_replay_sample_gives_the_starting_book_at_the_chosen_time() {
    let dir = std::env::temp_dir().join(format!("cascade-replay-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("data")).unwrap();
    // Tardis times are microseconds: the snapshot is at 1000 ns, the update
    // (the best bid shrinks to 2) at 3000 ns.
    fs::write(
        dir.join("data/l2.csv"),
        "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
         x,X,1,1,true,bid,99,5\n\
         x,X,1,1,true,bid,98,5\n\
         x,X,1,1,true,bid,97,5\n\
         x,X,1,1,true,ask,101,5\n\
         x,X,1,1,true,ask,102,5\n\
         x,X,3,3,false,bid,99,2\n",
    )
    .unwrap();
    let config = r#"
[[market]]
price = "100"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "1"
lot = "1"
tiers = [{ mmr = "0.01", imr = "0.02" }]
[market.replay]
format = "tardis"
files = ["data/l2.csv"]
at = [2000, 5000]

[[shock]]
kind = "market_order"
symbol = "X"
side = "sell"
qty = "3"
"#;
    fs::write(dir.join("c.toml"), config).unwrap();
    stress(&StressOptions {
        config: dir.join("c.toml"),
        out: dir.join("out"),
        threads: 1,
        shard: Shard::WHOLE,
        seed: None,
        quiet: true,
    })
    .unwrap();
    let csv = fs::read_to_string(dir.join("out/scenarios.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == "final_move").unwrap();
    let moves: Vec<String> = lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect();
    // Selling 3: at 2000 ns the bid at 99 holds 5, so the last trade (and
    // the mark) stays at 99; at 5000 ns it holds 2 and the third lot
    // trades at 98.
    assert_eq!(moves, ["-0.01", "-0.02"]);
    // A missing file is an input error naming the config's replay table.
    fs::write(
        dir.join("c.toml"),
        config.replace("data/l2.csv", "data/none.csv"),
    )
    .unwrap();
    let e = stress(&StressOptions {
        config: dir.join("c.toml"),
        out: dir.join("out2"),
        threads: 1,
        shard: Shard::WHOLE,
        seed: None,
        quiet: true,
    })
    .unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(e.to_string().contains("replay sample"), "{e}");
    fs::remove_dir_all(&dir).unwrap();
}
