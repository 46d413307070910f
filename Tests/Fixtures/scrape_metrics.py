#!/usr/bin/env python3
"""Scrapes a Prometheus text endpoint and prints its samples as JSON, parsed by the official
Python client's parser (prometheus_client), not by the code under test.

Usage: scrape_metrics.py URL  ->  {"status": 200, "samples": [{"name", "labels", "value"}], "text": "..."}
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, text, content_type = response.status, response.read().decode("utf-8"), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, text, content_type = error.code, error.read().decode("utf-8"), error.headers.get("Content-Type", "")
    samples, families = [], []
    if url.endswith("/metrics"):
        for family in text_string_to_metric_families(text):
            families.append({"name": family.name, "type": family.type, "help": family.documentation})
            for sample in family.samples:
                samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
    json.dump({"status": status, "content_type": content_type, "samples": samples, "families": families, "text": text}, sys.stdout)


if __name__ == "__main__":
    main()
