"""Nudity classification: NudeNet's bundled model runs on one thread and finds nothing in an
ordinary picture; its findings become signals by label and confidence. (No explicit picture is
kept in the repository, so the positive path is tested on NudeNet-shaped findings.)"""

from __future__ import annotations

import pytest

from plaza.moderation.detectors import nudity
from plaza.moderation.detectors.nudity import NudityClassifier, NudityThresholds, nudity_signals
from plaza.moderation.detectors.signals import Rule
from tests.moderation.detectors.pictures import encode, landscape

RULE = Rule("sexual", 1)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_ordinary_picture_gives_no_signal(fmt):
    picture = encode(landscape(7, size=(1600, 1200)), fmt)
    classifier = NudityClassifier()
    detections = classifier.detections(picture)
    assert all({"class", "score", "box"} <= set(d) for d in detections)
    assert classifier.classify(picture, RULE, NudityThresholds()) == []


def test_the_model_session_is_single_threaded():
    options = nudity._session().get_session_options()
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1


def test_exposed_labels_become_signals_with_their_best_confidence():
    detections = [
        {"class": "FACE_FEMALE", "score": 0.93, "box": [1, 2, 3, 4]},
        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.61, "box": [1, 2, 3, 4]},
        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.82, "box": [5, 6, 7, 8]},
        {"class": "BUTTOCKS_EXPOSED", "score": 0.91, "box": [1, 2, 3, 4]},
        {"class": "MALE_GENITALIA_EXPOSED", "score": 0.31, "box": [1, 2, 3, 4]},
        {"class": "BUTTOCKS_COVERED", "score": 0.99, "box": [1, 2, 3, 4]},
    ]
    signals = nudity_signals(detections, RULE, NudityThresholds())
    assert [(s.evidence["label"], s.score) for s in signals] == [
        ("BUTTOCKS_EXPOSED", 0.91),
        ("FEMALE_BREAST_EXPOSED", 0.82),
    ]
    assert all(
        (s.policy_id, s.clause, s.detector) == ("sexual", 1, "image.nudity") for s in signals
    )


def test_thresholds_choose_labels_and_confidence():
    detections = [{"class": "FEET_EXPOSED", "score": 0.4, "box": [0, 0, 1, 1]}]
    assert nudity_signals(detections, RULE, NudityThresholds()) == []
    feet = NudityThresholds(min_score=0.3, labels=frozenset({"FEET_EXPOSED"}))
    (signal,) = nudity_signals(detections, RULE, feet)
    assert signal.evidence == {"label": "FEET_EXPOSED", "score": 0.4}
