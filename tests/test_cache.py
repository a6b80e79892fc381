"""The cache never serves a result computed from other inputs: unit checks, then a property test that
applies random sequences of edits between runs and checks every output against its current inputs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techduel.build import cache, kernels, runner, trace


def test_file_hash_follows_content_not_time(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x\n")
    before = cache.file_hash(f)
    os.utime(f, (1, 1))
    assert cache.file_hash(f) == before
    f.write_text("y\n")
    assert cache.file_hash(f) != before
    assert cache.file_hash(tmp_path / "missing") is None


def _old_files(monkeypatch):
    """Every file looks older than cache.RECENT_NS, so its hash may be remembered (the clock runs ahead)."""
    monkeypatch.setattr(cache, "_now_ns", lambda: time.time_ns() + 10 * cache.RECENT_NS)
    cache.forget_hashes()


def _reads(monkeypatch) -> list[str]:
    """The files cache.file_hash actually opens to hash."""
    opened: list[str] = []
    real = hashlib.file_digest

    def counting(f, name):
        opened.append(f.name)
        return real(f, name)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    return opened


def test_a_file_is_hashed_once_per_process_while_it_is_unchanged(tmp_path, monkeypatch):
    _old_files(monkeypatch)
    opened = _reads(monkeypatch)
    f = tmp_path / "a.csv"
    f.write_text("x\n")
    first = cache.file_hash(f)
    assert [cache.file_hash(f), cache.file_hash(str(f))] == [first, first]
    assert opened == [str(f)]
    assert first == hashlib.sha256(b"x\n").hexdigest()


def test_a_remembered_hash_is_never_served_after_a_rewrite_the_stat_signature_sees(tmp_path, monkeypatch):
    """Rewrites with the same size, with the old mtime put back, or by replacing the file with another of the
    same size and mtime: each changes the signature (mtime, ctime or inode), so the content is hashed again."""
    _old_files(monkeypatch)
    f = tmp_path / "a.csv"

    def rewrite(content: bytes, how: str) -> None:
        before = os.stat(f)
        time.sleep(0.05)  # past one tick of the file system's coarse clock
        if how == "replace":
            other = tmp_path / "other"
            other.write_bytes(content)
            os.replace(other, f)
        else:
            f.write_bytes(content)
        if how in ("same mtime", "replace"):
            os.utime(f, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert os.stat(f).st_size == before.st_size and (how == "same size" or
                                                          os.stat(f).st_mtime_ns == before.st_mtime_ns)

    f.write_bytes(b"aaaa")
    seen = {cache.file_hash(f)}
    for content, how in ((b"bbbb", "same size"), (b"cccc", "same mtime"), (b"dddd", "replace")):
        assert cache.file_hash(f) in seen  # remembered, and still right
        rewrite(content, how)
        assert cache.file_hash(f) == hashlib.sha256(content).hexdigest(), how
        seen = {cache.file_hash(f)}


def test_a_file_rewritten_within_one_clock_tick_is_never_served_a_remembered_hash(tmp_path, monkeypatch):
    """What the signature cannot see: a second write that leaves size, mtime, ctime and inode as they were
    (here forced by freezing stat; in life, two writes within one tick of the file system's clock, or the
    clock set back). A recently changed file is never remembered, so the real clock guards the first case;
    for a file that looks old (the clock run ahead), the limit shows: the remembered hash is served until
    forget_hashes()."""
    f = tmp_path / "a.csv"
    f.write_bytes(b"aaaa")
    frozen, real_stat = os.stat(f), os.stat
    monkeypatch.setattr(cache.os, "stat", lambda p, *a, **k: frozen if str(p) == str(f) else real_stat(p, *a, **k))
    cache.forget_hashes()
    assert cache.file_hash(f) == hashlib.sha256(b"aaaa").hexdigest()
    f.write_bytes(b"bbbb")  # the signature stays frozen: only the recency rule can tell
    assert cache.file_hash(f) == hashlib.sha256(b"bbbb").hexdigest()

    _old_files(monkeypatch)
    assert cache.file_hash(f) == hashlib.sha256(b"bbbb").hexdigest()
    f.write_bytes(b"cccc")
    assert cache.file_hash(f) == hashlib.sha256(b"bbbb").hexdigest()  # the documented limit
    cache.forget_hashes()
    assert cache.file_hash(f) == hashlib.sha256(b"cccc").hexdigest()


def test_tree_hash_follows_names_and_contents_of_the_code_files_only(tmp_path, monkeypatch):
    _old_files(monkeypatch)
    (tmp_path / "pkg" / "templates").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "templates" / "t.j2").write_text("{{ x }}")
    first = cache.tree_hash(tmp_path / "pkg")
    (tmp_path / "pkg" / "notes.txt").write_text("not code")
    assert cache.tree_hash(tmp_path / "pkg") == first
    time.sleep(0.05)
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert cache.tree_hash(tmp_path / "pkg") != first
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    assert cache.tree_hash(tmp_path / "pkg") == first
    (tmp_path / "pkg" / "a.py").rename(tmp_path / "pkg" / "b.py")
    assert cache.tree_hash(tmp_path / "pkg") != first


def test_a_listing_changes_when_a_matching_file_appears(tmp_path):
    entry = f"glob:{tmp_path}:[0-9][0-9]_*.ipynb"
    empty = cache.file_hash(entry)
    (tmp_path / "notes.txt").write_text("not matching")
    assert cache.file_hash(entry) == empty
    (tmp_path / "07_new.ipynb").write_text("{}")
    assert cache.file_hash(entry) != empty


def test_manifest_is_invalidated_by_key_reads_and_output(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_BUILD", str(tmp_path / "build"))
    data, out = tmp_path / "d.csv", tmp_path / "out" / "n.ipynb"
    data.write_text("1")
    out.parent.mkdir()
    out.write_text("result")
    cache.save(out, "k1", [str(data)])
    assert cache.hit(out, "k1") and not cache.hit(out, "k2")
    data.write_text("2")
    assert not cache.hit(out, "k1")
    data.write_text("1")
    assert cache.hit(out, "k1")
    out.write_text("tampered")
    assert not cache.hit(out, "k1")


def test_a_copied_checkout_with_its_build_reruns_what_its_own_edits_change(tmp_path, monkeypatch):
    """`cp -a` of a checkout with build/, then an edit in the copy: the copy must not be served the original's
    result (the manifest used to record absolute paths, which still pointed at the unedited original)."""
    first = tmp_path / "first" / "repo"
    make_tree(first)
    use_root(monkeypatch, first)
    runner.run_stages(stages_for(first, 0), jobs=1, echo=lambda *_: None, engine=fake_engine)
    copy = tmp_path / "copy" / "repo"
    shutil.copytree(first, copy, symlinks=True)  # cp -a: build/ and its manifests come along
    use_root(monkeypatch, copy)
    (copy / "data" / "a.csv").write_text("edited in the copy\n")
    stages = stages_for(copy, 0)
    outcomes = {o.notebook: o.cache for o in runner.run_stages(stages, jobs=1, echo=lambda *_: None,
                                                                engine=fake_engine)}
    assert outcomes["01_t"] == "miss" and outcomes["02_u"] == "hit"  # 02 reads nothing that changed
    for job in (j for stage in stages for j in stage):
        assert json.loads(job.output.read_text())["computed_from"] == expected(job, copy), job.name
    manifest = json.loads(cache.manifest_path(copy / "build" / "notebooks" / "01_t.ipynb").read_text())
    assert set(manifest["reads"]) == {"data/a.csv", "data/b.csv"}  # keyed relative to the repository root


def use_root(monkeypatch, root: Path) -> None:
    monkeypatch.setenv("TECHDUEL_ROOT", str(root))
    monkeypatch.setenv("TECHDUEL_BUILD", str(root / "build"))


# --- property test -------------------------------------------------------------------------------------
# A fake engine stands in for papermill (kernels would make hundreds of runs take minutes); it follows the
# same contract: it traces what it reads and writes its output into the temporary file it is given. Each
# output records the exact bytes it was computed from, so a stale hit is detectable.

def digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def fake_engine(job: runner.Job, into: Path, gate: Path | None) -> None:
    if gate is not None:
        asyncio.run(kernels.wait_for_gate(gate))
    root = Path(os.environ["TECHDUEL_ROOT"])
    inputs = [job.notebook.path.read_bytes(), json.dumps(job.parameters, sort_keys=True).encode()]
    if job.notebook.is_overview:
        folder = Path(job.parameters["notebooks_dir"])
        trace.note_listing(folder, "[0-9][0-9]_*.ipynb")
        for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
            if not p.stem.startswith("00_"):
                trace.note(p)
                inputs.append(p.read_bytes())
    else:
        for name in json.loads(job.notebook.path.read_text())["reads"]:
            trace.note(root / "data" / name)
            inputs.append((root / "data" / name).read_bytes())
    into.write_text(json.dumps({"computed_from": digest(*inputs)}))


def expected(job: runner.Job, root: Path) -> str:
    inputs = [job.notebook.path.read_bytes(), json.dumps(job.parameters, sort_keys=True).encode()]
    if job.notebook.is_overview:
        folder = Path(job.parameters["notebooks_dir"])
        inputs += [p.read_bytes() for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if not p.stem.startswith("00_")]
    else:
        inputs += [(root / "data" / n).read_bytes() for n in json.loads(job.notebook.path.read_text())["reads"]]
    return digest(*inputs)


def make_tree(root: Path) -> None:
    (root / "data").mkdir(parents=True)
    (root / "notebooks").mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        (root / "data" / name).write_text(f"{name}\n")
    # two thread notebooks with overlapping reads, and an overview that reads their outputs
    (root / "notebooks" / "01_t.ipynb").write_text(json.dumps({"reads": ["a.csv", "b.csv"], "v": 0}))
    (root / "notebooks" / "02_u.ipynb").write_text(json.dumps({"reads": ["c.csv"], "v": 0}))
    (root / "notebooks" / "00_overview.ipynb").write_text(json.dumps({"v": 0}))


def stages_for(root: Path, param: int) -> list[list[runner.Job]]:
    out = root / "build" / "notebooks"
    nb = {p.stem: runner.Notebook(p, "overview" if p.stem.startswith("00") else "t", p.stem, "")
          for p in (root / "notebooks").glob("*.ipynb")}
    threads = [runner.Job(nb[s], {"x": param} if s == "01_t" else {}, out / f"{s}.ipynb", out)
               for s in sorted(nb) if not s.startswith("00")]
    overview = [runner.Job(nb["00_overview"], {"notebooks_dir": str(out)}, out / "00_overview.ipynb", out)]
    return [threads, overview]


EDITS = st.sampled_from(["edit_a", "edit_b", "edit_c", "touch_a", "edit_nb_01", "edit_nb_00", "param",
                         "delete_output_02", "tamper_output_01", "new_thread", "copy_checkout", "move_checkout",
                         "nothing"])


def relocate(root: Path, counter: int, move: bool) -> Path:
    """Copy (like `cp -a`, build/ included) or move the checkout; later edits and runs happen in the new place."""
    new = root.parent / f"repo{counter}"
    if move:
        root.rename(new)
    else:
        shutil.copytree(root, new, symlinks=True)
    os.environ["TECHDUEL_ROOT"], os.environ["TECHDUEL_BUILD"] = str(new), str(new / "build")
    return new


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.lists(EDITS, max_size=3), min_size=2, max_size=5))
def test_cache_never_serves_a_result_from_different_inputs(steps):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        make_tree(root)
        saved = {k: os.environ.get(k) for k in ("TECHDUEL_ROOT", "TECHDUEL_BUILD")}
        os.environ["TECHDUEL_ROOT"], os.environ["TECHDUEL_BUILD"] = str(root), str(root / "build")
        try:
            param, counter = 0, 0
            for edits in steps:
                for edit in edits:
                    counter += 1
                    if edit.startswith("edit_") and edit[5:] in "abc":
                        (root / "data" / f"{edit[5:]}.csv").write_text(f"v{counter}\n")
                    elif edit == "touch_a":
                        os.utime(root / "data" / "a.csv", (counter, counter))
                    elif edit.startswith("edit_nb_"):
                        p = next((root / "notebooks").glob(f"{edit[8:]}_*.ipynb"))
                        doc = json.loads(p.read_text())
                        doc["v"] = counter
                        p.write_text(json.dumps(doc))
                    elif edit == "param":
                        param = counter
                    elif edit == "delete_output_02":
                        (root / "build" / "notebooks" / "02_u.ipynb").unlink(missing_ok=True)
                    elif edit == "tamper_output_01":
                        p = root / "build" / "notebooks" / "01_t.ipynb"
                        if p.exists():
                            p.write_text(json.dumps({"computed_from": "stale"}))
                    elif edit == "new_thread" and not (root / "notebooks" / "03_w.ipynb").exists():
                        (root / "notebooks" / "03_w.ipynb").write_text(json.dumps({"reads": ["a.csv"], "v": 0}))
                    elif edit in ("copy_checkout", "move_checkout"):
                        root = relocate(root, counter, move=edit == "move_checkout")
                stages = stages_for(root, param)
                outcomes = runner.run_stages(stages, jobs=2, echo=lambda *_: None, engine=fake_engine)
                assert all(o.status == "ok" for o in outcomes)
                for job in (j for stage in stages for j in stage):
                    got = json.loads(job.output.read_text())["computed_from"]
                    assert got == expected(job, root), f"{job.name} is stale after {edits}"
            # and a run with nothing changed is served entirely from the cache
            again = runner.run_stages(stages_for(root, param), jobs=2, echo=lambda *_: None, engine=fake_engine)
            assert {o.cache for o in again} == {"hit"}
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def test_a_notebooks_key_ignores_its_outputs_but_not_its_sources(tmp_path):
    """A refresh rewrites the committed notebooks' outputs: their runs must still be cache hits; an edited
    cell, or a changed tag, must not be."""
    import nbformat

    from techduel.build import cache as c

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("print(x)")])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    first = c.static_key(path, {}, "lib", "env")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 2
    nbformat.write(nb, path)
    assert c.static_key(path, {}, "lib", "env") == first
    nb.cells[1].source = "print(x + 1)"
    nbformat.write(nb, path)
    edited = c.static_key(path, {}, "lib", "env")
    assert edited != first
    nb.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    nbformat.write(nb, path)
    assert c.static_key(path, {}, "lib", "env") != edited
