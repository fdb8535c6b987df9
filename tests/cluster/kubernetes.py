"""The Kubernetes manifests of docs/distributed.md, checked without a cluster.

Nothing here runs Kubernetes. What can be checked without one is: the two
Jobs agree with each other and with the doc's commands (the same image, the
same results claim mounted where RESULTS points, the ConfigMap the doc
creates mounted where CONFIG points, as many completions as SHARDS, files
named by `kubectl -f` that exist), and their container commands work with
this build of cascade. For that, each container's `/bin/sh -c` command runs
here as the pod would run it: with the container's variables, a folder
standing for the container's root (so /config and /results are the
volumes), JOB_COMPLETION_INDEX = 0..completions-1, and `cascade` on PATH as
in the image. The merge of those shards must equal one unsharded run, byte
for byte.

Usage: python3 tests/cluster/kubernetes.py CASCADE_BINARY (from the repo
root; tests/cluster/kubernetes.sh calls it). Needs PyYAML.
"""

import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

DOC = "docs/distributed.md"
STRESS_JOB = "examples/kubernetes/stress-job.yaml"
MERGE_JOB = "examples/kubernetes/merge-job.yaml"
# The config the commands run on here: small, so the check is quick.
CONFIG = "examples/stress/contagion.toml"


def fail(message):
    sys.exit(f"error: {message}")


def check(condition, message):
    if not condition:
        fail(message)


def load(path):
    """The objects of a manifest, by kind."""
    with open(path, encoding="utf-8") as f:
        return {o["kind"]: o for o in yaml.safe_load_all(f) if o}


class Container:
    """The one container of a Job's pod, with the volumes it mounts."""

    def __init__(self, job, path):
        pod = job["spec"]["template"]["spec"]
        check(len(pod["containers"]) == 1, f"{path}: one container expected")
        self.path = path
        self.spec = pod["containers"][0]
        self.volumes = {v["name"]: v for v in pod.get("volumes", [])}
        self.env = {e["name"]: str(e["value"]) for e in self.spec.get("env", [])}
        command = self.spec.get("command", [])
        args = self.spec.get("args", [])
        check(
            command == ["/bin/sh", "-c"] and len(args) == 1,
            f"{path}: the container should run one `/bin/sh -c` command",
        )
        self.script = args[0]
        # Kubernetes replaces $(NAME) by a variable of the container before
        # the shell sees the command; these commands leave that alone.
        check("$(" not in self.script, f"{path}: `$(` in args is expanded by Kubernetes")
        check(
            re.match(r"exec cascade (stress|merge) ", self.script),
            f"{path}: the command should exec `cascade`, the image's binary on PATH",
        )

    def mount_of(self, variable):
        """The volume (its spec) mounted at the folder VARIABLE names or holds."""
        value = self.env.get(variable)
        check(value is not None, f"{self.path}: no variable {variable}")
        for m in self.spec.get("volumeMounts", []):
            if value == m["mountPath"] or value.startswith(m["mountPath"].rstrip("/") + "/"):
                return self.volumes[m["name"]], m["mountPath"]
        fail(f"{self.path}: {variable}={value} is on no mounted volume")

    def run(self, root, bindir, **extra):
        """Runs the command as the pod would, ROOT standing for /."""
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", **extra)
        for name, value in self.env.items():
            env[name] = root + value if value.startswith("/") else value
        done = subprocess.run(["/bin/sh", "-c", self.script], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"{self.path}: {self.script!r} with {extra} exited {done.returncode}:\n{done.stderr}")


def main():
    binary = os.path.abspath(sys.argv[1])
    doc = open(DOC, encoding="utf-8").read()
    stress_objects, merge_objects = load(STRESS_JOB), load(MERGE_JOB)
    stress_job, merge_job = stress_objects["Job"], merge_objects["Job"]
    stress, merge = Container(stress_job, STRESS_JOB), Container(merge_job, MERGE_JOB)

    # The two Jobs run the same build on the same results volume.
    check(stress.spec["image"] == merge.spec["image"], "the two Jobs run different images")
    claim = stress_objects["PersistentVolumeClaim"]["metadata"]["name"]
    for c in (stress, merge):
        volume, _ = c.mount_of("RESULTS")
        check(volume.get("persistentVolumeClaim", {}).get("claimName") == claim,
              f"{c.path}: RESULTS is not on the claim {claim}")
    check(stress.env["RESULTS"] == merge.env["RESULTS"], "the Jobs' RESULTS differ")

    # One pod per shard, and the config is the ConfigMap the doc creates.
    spec = stress_job["spec"]
    shards = int(stress.env["SHARDS"])
    check(spec["completionMode"] == "Indexed" and spec["completions"] == shards,
          f"{STRESS_JOB}: an Indexed Job of SHARDS={shards} completions expected")
    volume, mount = stress.mount_of("CONFIG")
    config_map = volume.get("configMap", {}).get("name")
    key = stress.env["CONFIG"][len(mount.rstrip("/")) + 1:]
    created = re.search(rf"kubectl create configmap {config_map} --from-file={key}=(\S+)", doc)
    check(created, f"{DOC} creates no ConfigMap {config_map} with the key {key}")
    check(os.path.isfile(created[1]), f"{DOC}: the ConfigMap's file {created[1]} does not exist")
    for path in re.findall(r"kubectl \w+ -f (\S+)", doc):
        check(os.path.isfile(path), f"{DOC}: `kubectl -f {path}`: no such file")

    # The commands, run here on a small config: the shards, then the merge.
    with tempfile.TemporaryDirectory(prefix="cascade-k8s.") as root:
        config = root + stress.env["CONFIG"]
        os.makedirs(os.path.dirname(config))
        os.makedirs(root + stress.env["RESULTS"])
        shutil.copyfile(CONFIG, config)
        bindir = os.path.join(root, "bin")
        os.makedirs(bindir)
        os.symlink(binary, os.path.join(bindir, "cascade"))
        for index in range(shards):
            stress.run(root, bindir, JOB_COMPLETION_INDEX=str(index))
        merge.run(root, bindir)
        single = os.path.join(root, "single")
        subprocess.run([binary, "stress", config, "--out", single, "--quiet"], check=True)
        merged = root + merge.env["RESULTS"] + "/merged"
        names = sorted(os.listdir(single))
        check("scenarios.csv" in names, "the unsharded run wrote no scenarios.csv")
        check(sorted(os.listdir(merged)) == names, "the merged folder has other files")
        _, differ, errors = filecmp.cmpfiles(single, merged, names, shallow=False)
        check(not differ and not errors, f"merged != unsharded run in {differ + errors}")
    print(f"kubernetes: manifests consistent; {shards} shards merged == unsharded run, "
          f"byte for byte ({len(names)} files)")


if __name__ == "__main__":
    main()
