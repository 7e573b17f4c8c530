#!/usr/bin/env python3
"""Train a nearest-centroid classifier on iris.csv and print its accuracy.

A small, real training script used by mlake's tests as a "code" artifact.
"""
import csv
import sys


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    xs = [[float(r[k]) for k in features] for r in rows]
    ys = [r["species"] for r in rows]
    return xs, ys


def centroids(xs, ys):
    sums, counts = {}, {}
    for x, y in zip(xs, ys):
        s = sums.setdefault(y, [0.0] * len(x))
        for i, v in enumerate(x):
            s[i] += v
        counts[y] = counts.get(y, 0) + 1
    return {y: [v / counts[y] for v in s] for y, s in sums.items()}


def predict(model, x):
    def dist(c):
        return sum((a - b) ** 2 for a, b in zip(x, c))

    return min(model, key=lambda y: dist(model[y]))


def main():
    xs, ys = load(sys.argv[1] if len(sys.argv) > 1 else "iris.csv")
    model = centroids(xs, ys)
    right = sum(predict(model, x) == y for x, y in zip(xs, ys))
    print(f"accuracy {right / len(ys):.3f}")


if __name__ == "__main__":
    main()
